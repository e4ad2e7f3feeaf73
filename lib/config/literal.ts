/**
 * Config strings reach Terraform literally. Terraform reads `${` and `%{` in any string of the
 * synthesized JSON as the start of an expression or directive (`"/${path.cwd}"` would plan as the
 * machine's working directory), so every string taken from config is escaped (`$${`, `%%{`):
 * Terraform then plans exactly the text the config file holds.
 */

/** `text` with every `${` and `%{` escaped for a Terraform string. */
export function terraformLiteral(text: string): string {
  // A function as replacement: in a replacement string "$$" would mean one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** Fields of EnvironmentConfig that never reach Terraform as text: left as they are. */
const NOT_TERRAFORM = new Set(["environment", "sourceFile", "policyExceptions", "backend"]);

function deep(v: unknown): unknown {
  if (typeof v === "string") return terraformLiteral(v);
  if (Array.isArray(v)) return v.map(deep);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [terraformLiteral(k), deep(x)]));
  return v;
}

/** Every string (and map key) of `config` escaped for Terraform, except the fields that never reach it. */
export function terraformLiterals<T extends object>(config: T): T {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, NOT_TERRAFORM.has(k) ? v : deep(v)])) as T;
}
