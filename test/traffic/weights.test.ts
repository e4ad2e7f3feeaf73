import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import { decodeWeights, encodeWeights, gainingColours, liveColour, readWeights, tagValue, weightsFor, WeightError, withWeights, type Colour } from "../../lib/traffic/weights";

const BLUE = "arn:tg/blue";
const GREEN = "arn:tg/green";
const colourOf = new Map<string, Colour>([
  [BLUE, "blue"],
  [GREEN, "green"],
]);
const forward = (blue: number, green: number, extra: Partial<Action> = {}): Action[] => [
  {
    Type: "forward",
    Order: 1,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: BLUE, Weight: blue },
        { TargetGroupArn: GREEN, Weight: green },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
    },
    ...extra,
  },
];

describe("weightsFor", () => {
  test.each([
    ["green", 100, { blue: 0, green: 100 }],
    ["green", 10, { blue: 90, green: 10 }],
    ["blue", 100, { blue: 100, green: 0 }],
    ["blue", 0, { blue: 0, green: 100 }],
  ] as const)("--to %s --percent %i", (to, percent, expected) => {
    expect(weightsFor(to, percent)).toEqual(expected);
  });

  test.each([101, -1, 2.5, NaN])("refuses percent %p", (percent) => {
    expect(() => weightsFor("green", percent)).toThrow(WeightError);
    expect(() => weightsFor("green", percent)).toThrow(/--percent must be a whole number from 0 to 100/);
  });
});

describe("withWeights", () => {
  test("changes only the two weights: stickiness, order and every other field kept", () => {
    const live = forward(100, 0);
    const next = withWeights(live, colourOf, { blue: 0, green: 100 });
    expect(next).toEqual(forward(0, 100));
    expect(live).toEqual(forward(100, 0)); // input untouched
  });

  test("drops a top-level TargetGroupArn beside two target groups", () => {
    const next = withWeights(forward(100, 0, { TargetGroupArn: BLUE }), colourOf, { blue: 50, green: 50 });
    expect(next[0]).not.toHaveProperty("TargetGroupArn");
    expect(next[0].ForwardConfig!.TargetGroups!.map((g) => g.Weight)).toEqual([50, 50]);
  });

  test("keeps the target groups in their live order whatever the colour order", () => {
    const live: Action[] = [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: GREEN, Weight: 0 }, { TargetGroupArn: BLUE, Weight: 100 }] } }];
    expect(withWeights(live, colourOf, { blue: 0, green: 100 })[0].ForwardConfig!.TargetGroups).toEqual([
      { TargetGroupArn: GREEN, Weight: 100 },
      { TargetGroupArn: BLUE, Weight: 0 },
    ]);
  });

  test.each([
    ["both weights 0", forward(100, 0), { blue: 0, green: 0 }, /both weights would be 0/],
    ["a weight above 999", forward(100, 0), { blue: 1000, green: 0 }, /weight for blue must be a whole number 0..999, got 1000/],
    ["a non-forward action", [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "503" } }] as Action[], { blue: 0, green: 100 }, /action is fixed-response, not forward/],
    ["two actions", [...forward(100, 0), { Type: "redirect" } as Action], { blue: 0, green: 100 }, /has 2 actions/],
    [
      "a third target group",
      [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE }, { TargetGroupArn: GREEN }, { TargetGroupArn: "arn:tg/other" }] } }] as Action[],
      { blue: 0, green: 100 },
      /exactly the blue and the green target group; it forwards to .*arn:tg\/other \(not blue or green\)/,
    ],
    ["a single target group", [{ Type: "forward", TargetGroupArn: BLUE }] as Action[], { blue: 0, green: 100 }, /exactly the blue and the green/],
    ["two groups of one colour", [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE }, { TargetGroupArn: BLUE }] } }] as Action[], { blue: 0, green: 100 }, /exactly the blue and the green/],
  ])("refuses %s", (_name, actions, weights, message) => {
    expect(() => withWeights(actions, colourOf, weights)).toThrow(message);
  });
});

test("readWeights, liveColour, gainingColours", () => {
  const w = readWeights(forward(90, 10), colourOf);
  expect(w).toEqual({ blue: 90, green: 10 });
  expect(liveColour(w)).toBe("split");
  expect(liveColour({ blue: 0, green: 5 })).toBe("green");
  expect(gainingColours({ blue: 100, green: 0 }, { blue: 90, green: 10 })).toEqual(["green"]);
  expect(gainingColours({ blue: 0, green: 100 }, { blue: 100, green: 0 })).toEqual(["blue"]);
  expect(gainingColours({ blue: 50, green: 50 }, { blue: 50, green: 50 })).toEqual([]);
});

test("tag encoding round-trips and tag values are made AWS-safe", () => {
  expect(decodeWeights(encodeWeights({ blue: 90, green: 10 }))).toEqual({ blue: 90, green: 10 });
  expect(decodeWeights("garbage")).toBeUndefined();
  expect(tagValue("ann<root>@host")).toBe("ann_root_@host");
  expect(tagValue("x".repeat(300))).toHaveLength(256);
});
