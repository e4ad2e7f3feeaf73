/**
 * Config strings reach Terraform literally. Terraform reads `${` and `%{` in any string of the
 * synthesized JSON as the start of an expression or directive (`"/${path.cwd}"` would plan as
 * the machine's working directory), and @cdktf/hcl2json hands them over unevaluated. So, as
 * Terraform itself does for a tfvars file, config values may hold no expression: an unescaped
 * `${` or `%{` is refused, and the escaped forms `$${` and `%%{` (which HCL and Terraform both
 * read as a literal `${` and `%{`) pass through unchanged, so Terraform plans exactly the value
 * the config file means.
 */
import { show } from "./hcl";

/** The first unescaped `${` or `%{` in `text` ("${" / "%{"), if any. */
export function unescapedTemplate(text: string): "${" | "%{" | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === "$" || c === "%") && text[i + 1] === c && text[i + 2] === "{") {
      i += 2; // an escape: "$${" or "%%{"
    } else if ((c === "$" || c === "%") && text[i + 1] === "{") {
      return `${c}{` as "${" | "%{";
    }
  }
  return undefined;
}

/** One problem for every string (or map key) of the parsed file that holds an expression or directive. */
export function templateProblems(raw: unknown, problem: (key: string, message: string) => void, key = ""): void {
  const report = (where: string, text: string, what: string) => {
    const t = unescapedTemplate(text);
    if (t === undefined) return;
    const escaped = t === "${" ? "$${" : "%%{";
    problem(where, `given ${what}${show(text)}, which holds "${t}": Terraform would evaluate it as ${t === "${" ? "an expression" : "a directive"}, and config values are literal. Write "${escaped}" for a literal "${t}"`);
  };
  if (typeof raw === "string") report(key, raw, "");
  else if (Array.isArray(raw)) raw.forEach((v, i) => templateProblems(v, problem, `${key}[${i}]`));
  else if (raw !== null && typeof raw === "object") {
    for (const [k, v] of Object.entries(raw)) {
      const where = key ? `${key}.${k}` : k;
      if (key) report(where, k, "key ");
      templateProblems(v, problem, where);
    }
  }
}
