import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkTag, setImageTag, TfvarsError, writeImageTag } from "../../lib/traffic/tfvars";

const CONFIG = path.resolve(__dirname, "..", "..", "config");

/** Every line but `line` (1-based) is byte-for-byte the same. */
function onlyLineChanged(before: string, after: string, line: number): void {
  const a = before.split("\n");
  const b = after.split("\n");
  expect(b).toHaveLength(a.length);
  expect(b.filter((l, i) => l !== a[i]).length).toBe(1);
  expect(b.findIndex((l, i) => l !== a[i])).toBe(line - 1);
}

describe("setImageTag", () => {
  test("multi-line image_tags (config/dev.tfvars): only the green string changes, byte for byte", () => {
    const text = fs.readFileSync(path.join(CONFIG, "dev.tfvars"), "utf8");
    const edit = setImageTag(text, "green", "4b1d9e0", "config/dev.tfvars");
    expect(edit.before).toBe("3f9c2a1");
    expect(edit.text).toBe(text.replace('  green = "3f9c2a1"', '  green = "4b1d9e0"'));
    expect(edit.text.split("\n")[edit.line - 1]).toBe('  green = "4b1d9e0"');
    onlyLineChanged(text, edit.text, edit.line);
  });

  test("one-line image_tags, a trailing comment, and quoted keys", () => {
    const text = 'image_tags = { blue = "aaa", "green" = "bbb" } # tags\n';
    expect(setImageTag(text, "green", "ccc", "f").text).toBe('image_tags = { blue = "aaa", "green" = "ccc" } # tags\n');
    expect(setImageTag(text, "blue", "ddd", "f").text).toBe('image_tags = { blue = "ddd", "green" = "bbb" } # tags\n');
  });

  test("image_tags inside comments and strings, and a value that reads \"green\", are not mistaken for the entry", () => {
    const text = [
      '# image_tags = { green = "commented" }',
      "/* image_tags = {",
      '   green = "block comment" } */',
      'note = "image_tags = { green = \\"in a string\\" }"',
      "tags = { image_tags = \"nested\" }",
      "image_tags = {",
      '  blue  = "green" // the blue tag happens to read green',
      '  green = "old" # keep me',
      "}",
      "",
    ].join("\n");
    const edit = setImageTag(text, "green", "new-1", "x.tfvars");
    expect(edit.text).toBe(text.replace('green = "old"', 'green = "new-1"'));
    expect(edit.line).toBe(8);
  });

  test.each([
    ["no image_tags", 'region = "eu-west-1"\n', /^x.tfvars: image_tags: not found/],
    ["no green entry", 'image_tags = { blue = "a" }\n', /^x.tfvars:1: image_tags.green: not found inside image_tags/],
    ["set twice", 'image_tags = { blue = "a", green = "b" }\nimage_tags = { blue = "a", green = "b" }\n', /^x.tfvars:2: image_tags: set more than once \(first at line 1\)/],
    ["green twice", 'image_tags = {\n  green = "a"\n  green = "b"\n}\n', /^x.tfvars:3: image_tags.green: set more than once/],
    ["not an object", "image_tags = var.tags\n", /^x.tfvars:1: image_tags: is not an object literal/],
    ["an interpolation", 'image_tags = { blue = "a", green = "${var.x}" }\n', /^x.tfvars:1: image_tags.green: the value is not a plain quoted string/],
    ["an unclosed object", 'image_tags = {\n  green = "a"\n', /^x.tfvars:1: image_tags: the \{ is never closed/],
    ["an unclosed comment", "/* image_tags = {}\n", /^x.tfvars:1: a \/\* comment is never closed/],
  ])("refuses %s, naming file:line", (_name, text, message) => {
    expect(() => setImageTag(text, "green", "new", "x.tfvars")).toThrow(TfvarsError);
    expect(() => setImageTag(text, "green", "new", "x.tfvars")).toThrow(message);
  });
});

test("checkTag is the config schema's rule", () => {
  expect(checkTag("4b1d9e0", "green")).toBeUndefined();
  expect(checkTag("v1.2.3_rc-1", "blue")).toBeUndefined();
  expect(checkTag("-bad", "green")).toMatch(/a Docker tag/);
  expect(checkTag("has space", "green")).toMatch(/a Docker tag/);
  expect(checkTag("x".repeat(129), "green")).toMatch(/a Docker tag/);
});

describe("writeImageTag", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfvars-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("writes config/prod.tfvars atomically, leaving no temporary file, and the result loads", async () => {
    const file = path.join(dir, "prod.tfvars");
    const original = fs.readFileSync(path.join(CONFIG, "prod.tfvars"), "utf8");
    fs.writeFileSync(file, original);
    const r = await writeImageTag(file, "blue", "9e8d7c6");
    expect(r).toMatchObject({ changed: true, before: "3f9c2a1", after: "9e8d7c6", colour: "blue" });
    expect(fs.readFileSync(file, "utf8")).toBe(original.replace('  blue  = "3f9c2a1"', '  blue  = "9e8d7c6"'));
    expect(fs.readdirSync(dir)).toEqual(["prod.tfvars"]);
  });

  test("an invalid tag writes nothing", async () => {
    const file = path.join(dir, "dev.tfvars");
    const original = fs.readFileSync(path.join(CONFIG, "dev.tfvars"), "utf8");
    fs.writeFileSync(file, original);
    await expect(writeImageTag(file, "green", "bad tag!")).rejects.toThrow(/--tag "bad tag!": not a valid image tag for .*dev.tfvars image_tags.green: a Docker tag/);
    expect(fs.readFileSync(file, "utf8")).toBe(original);
  });

  test("a file the config loader rejects after the edit is not written", async () => {
    const file = path.join(dir, "dev.tfvars");
    const broken = fs.readFileSync(path.join(CONFIG, "dev.tfvars"), "utf8").replace('vpc_cidr             = "10.10.0.0/16"', 'vpc_cidr             = "10.10.0.0/8"');
    fs.writeFileSync(file, broken);
    await expect(writeImageTag(file, "green", "4b1d9e0")).rejects.toThrow(/the config does not load, so nothing was written:\n.*vpc_cidr/);
    expect(fs.readFileSync(file, "utf8")).toBe(broken);
  });

  test("the same tag again changes nothing", async () => {
    const file = path.join(dir, "dev.tfvars");
    fs.writeFileSync(file, fs.readFileSync(path.join(CONFIG, "dev.tfvars")));
    const mtime = fs.statSync(file).mtimeMs;
    expect(await writeImageTag(file, "green", "3f9c2a1")).toMatchObject({ changed: false });
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
  });
});
