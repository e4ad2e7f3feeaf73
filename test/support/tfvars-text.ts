/**
 * Config texts for the config tests (test/config.test.ts, test/config-rules.test.ts): a minimal
 * valid dev tfvars whose line numbers the tests rely on, a line editor, and where a key stands.
 */

/**
 * The required keys (schema.ts: no default, not optional) plus allow_plain_http, without which a
 * file with no certificate is refused. Line numbers matter: the tests' expected lines rely on them.
 */
export const MINIMAL_TFVARS: readonly string[] = [
  'service_name = "webapp"', // 1
  'region = "eu-west-1"', // 2
  'availability_zones = ["eu-west-1a", "eu-west-1b"]', // 3
  'vpc_cidr = "10.10.0.0/16"', // 4
  'public_subnet_cidrs = ["10.10.0.0/24", "10.10.1.0/24"]', // 5
  'private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24"]', // 6
  'test_listener_cidrs = ["203.0.113.0/24"]', // 7
  'image_tags = { blue = "3f9c2a1", green = "3f9c2a1" }', // 8
  'github_repository = "acme/webapp"', // 9
  "allow_plain_http = true", // 10
];

/**
 * `base` with `extra`, one `key = value` per line: a line whose key `base` sets replaces that line
 * in place (HCL refuses a key set twice); any other is appended. A line `-key` removes that key
 * (a test setup error when `base` does not set it).
 */
export function editLines(base: readonly string[], extra: string): string {
  let lines = [...base];
  for (const line of extra.split("\n").filter((l) => l.trim() !== "")) {
    if (line.startsWith("-")) {
      const before = lines.length;
      lines = lines.filter((l) => l.split("=")[0].trim() !== line.slice(1));
      if (lines.length === before) throw new Error(`test setup: ${line.slice(1)} is not in the base text`);
      continue;
    }
    const key = line.split("=")[0].trim();
    const i = lines.findIndex((l) => l.split("=")[0].trim() === key);
    if (i >= 0) lines[i] = line;
    else lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** 1-based line of the top-level attribute a (possibly dotted/indexed) key belongs to, if the text sets it. */
export function lineOfKey(text: string, key: string): number | undefined {
  const top = key.split(/[.[]/)[0];
  const i = text.split("\n").findIndex((l) => l.startsWith(`${top} =`) || l.startsWith(`${top}=`));
  return i >= 0 ? i + 1 : undefined;
}
