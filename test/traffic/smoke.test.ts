import * as fs from "node:fs";
import * as path from "node:path";
import { checkResponse, fieldAt, parseSmokeSpec, SmokeSpecError, substitute, type SmokeRequest } from "../../lib/traffic/smoke";

const EXAMPLE = path.resolve(__dirname, "..", "..", "examples", "smoke.yaml");
const ENV = { IMAGE_TAG: "4b1d9e0", SMOKE_TOKEN: "t0ken" };

describe("parseSmokeSpec", () => {
  test("the shipped example parses, with defaults, ${VAR}s and JSON bodies resolved", () => {
    const spec = parseSmokeSpec(EXAMPLE, fs.readFileSync(EXAMPLE, "utf8"), ENV);
    expect(spec.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /health", "GET /version", "POST /api/orders"]);
    const [health, version, order] = spec.requests;
    expect(health).toMatchObject({ name: "health", timeoutMs: 5000, headers: { accept: "application/json" }, expect: { status: [200], body: { status: "ok" }, maxLatencyMs: 1000 } });
    expect(version.expect.body).toEqual({ version: "4b1d9e0" });
    expect(version.expect.status).toBeUndefined(); // any 2xx
    expect(order.headers).toEqual({ accept: "application/json", authorization: "Bearer t0ken", "content-type": "application/json" });
    expect(JSON.parse(order.body!)).toEqual({ sku: "SMOKE-1", quantity: 1 });
    expect(order.expect).toMatchObject({ status: [201], maxLatencyMs: 2000, headers: { "content-type": "application/json" } });
  });

  const bad = (text: string, env: Record<string, string> = {}) => () => parseSmokeSpec("smoke.yaml", text, env);

  test.each([
    ["requests: []", /^smoke.yaml:1: requests: must be a non-empty list of requests$/],
    ["requests:\n  - path: health", /^smoke.yaml:2: requests\[0\].path: given "health"; a path starting with \/, e.g. \/health$/],
    ["requests:\n  - path: /\n    methd: GET", /^smoke.yaml:3: requests\[0\].methd: unknown key; allowed here: name, method, path, headers, body, timeout, expect$/],
    ["requests:\n  - path: /\n    method: FETCH", /requests\[0\].method: given "FETCH"; one of GET, HEAD, POST/],
    ["requests:\n  - path: /\n\n    expect:\n      status: 700", /^smoke.yaml:5: requests\[0\].expect.status: given 700; an HTTP status code/],
    ["requests:\n  - path: /\n    expect:\n      max_latency: 5", /requests\[0\].expect.max_latency: given 5; a duration such as 500ms/],
    ["requests:\n  - path: /\n    body: x", /requests\[0\].body: a GET request has no body/],
    ["requests:\n  - path: /${NOPE}", /^smoke.yaml:2: requests\[0\].path: uses \$\{NOPE\}, but the environment variable NOPE is not set/],
    ["version: 2\nrequests:\n  - path: /", /^smoke.yaml:1: version: given 2; only version 1 exists$/],
    ["requests:\n  - path: /\n  - path: /\n    path: /x", /^smoke.yaml:4: not valid YAML: Map keys must be unique/],
    ["- path: /", /^smoke.yaml:1: must be a mapping with a `requests` list/],
  ])("fails with file:line: key: problem for %p", (text, message) => {
    expect(bad(text)).toThrow(SmokeSpecError);
    expect(bad(text)).toThrow(message);
  });
});

test("substitute: ${NAME} from the environment, $${ is a literal", () => {
  expect(substitute("v=${A}-$${A}", { A: "1" }, () => "x")).toBe("v=1-${A}");
  expect(() => substitute("${B}", {}, () => "f:3: k")).toThrow("f:3: k: uses ${B}, but the environment variable B is not set (or empty)");
  expect(() => substitute("${B}", { B: "" }, () => "f:3: k")).toThrow(/B is not set \(or empty\)/);
});

test("fieldAt: dotted paths through objects and lists", () => {
  const json = { a: { b: [{ c: 1 }, { c: null }] } };
  expect(fieldAt(json, "a.b.1.c")).toEqual({ found: true, value: null });
  expect(fieldAt(json, "a.b.2.c")).toEqual({ found: false });
  expect(fieldAt(json, "a.x")).toEqual({ found: false });
});

describe("checkResponse", () => {
  const req: SmokeRequest = {
    name: "order",
    method: "POST",
    path: "/api/orders",
    headers: {},
    timeoutMs: 5000,
    expect: { status: [201], body: { status: "created", "order.sku": "SMOKE-1" }, bodyContains: "created", headers: { "content-type": "application/json" }, maxLatencyMs: 500 },
  };
  const ok = { status: 201, headers: { "content-type": "application/json" }, body: '{"status":"created","order":{"sku":"SMOKE-1"}}', latencyMs: 20 };

  test("a matching answer passes", () => {
    expect(checkResponse(req, ok)).toEqual([]);
  });

  test("every mismatch is named", () => {
    expect(checkResponse(req, { status: 500, headers: { "content-type": "text/html" }, body: '{"status":"error","order":{}}', latencyMs: 900 })).toEqual([
      "status 500, expected 201",
      "took 900 ms, more than the 500 ms allowed",
      'header content-type "text/html", expected "application/json"',
      'body does not contain "created"',
      'body.status "error", expected "created"',
      'body.order.sku missing, expected "SMOKE-1"',
    ]);
  });

  test("without expect.status any 2xx passes and a 3xx fails", () => {
    const plain: SmokeRequest = { ...req, expect: {} };
    expect(checkResponse(plain, { ...ok, status: 204 })).toEqual([]);
    expect(checkResponse(plain, { ...ok, status: 301 })).toEqual(["status 301, expected 2xx"]);
  });

  test("a body that is not JSON fails the field checks", () => {
    expect(checkResponse({ ...req, expect: { body: { status: "ok" } } }, { ...ok, body: "<html>" })).toEqual(['body is not JSON ("<html>"), expected fields status']);
  });
});
