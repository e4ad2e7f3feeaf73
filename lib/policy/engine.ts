/**
 * Evaluates the pack on one stack's synthesized JSON: every rule's findings, split into
 * violations and excepted ones (with the exception's reason), plus the exceptions that matched
 * nothing. Pure: no cdktf, no I/O.
 */
import { RULES } from "./rules";
import { stackView } from "./terraform";
import type { PolicyException, PolicyFinding, PolicyReport } from "./types";

/** `*` any characters, `?` one, everything else literal. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`
  );
}

/**
 * True when `pattern` covers the finding: `address-glob` covers every part of the matching
 * resources, `address-glob#part-glob` only the matching parts.
 */
export function patternMatches(pattern: string, finding: Pick<PolicyFinding, "address" | "part">): boolean {
  const hash = pattern.indexOf("#");
  const addressGlob = hash < 0 ? pattern : pattern.slice(0, hash);
  if (!globToRegExp(addressGlob).test(finding.address)) return false;
  if (hash < 0) return true;
  return finding.part !== undefined && globToRegExp(pattern.slice(hash + 1)).test(finding.part);
}

/** `address` or `address#part`: how a finding is named in output and in exception patterns. */
export function findingTarget(f: Pick<PolicyFinding, "address" | "part">): string {
  return f.part === undefined ? f.address : `${f.address}#${f.part}`;
}

/** The one-line form of a violation: rule, address, message, fix. */
export function formatViolation(f: PolicyFinding): string {
  return `${f.rule} ${findingTarget(f)}: ${f.message}. Fix: ${f.fix}`;
}

/** The one-line form of an excepted finding. */
export function formatExcepted(f: PolicyFinding & { readonly reason: string }): string {
  return `${f.rule} ${findingTarget(f)}: excepted: ${f.reason}`;
}

/** Excepted findings as one line per rule and reason: `RULE address, address: excepted: reason`. */
export function formatExceptedByRule(excepted: PolicyReport["excepted"]): string[] {
  const groups = new Map<string, { rule: string; reason: string; targets: string[] }>();
  for (const f of excepted) {
    const key = `${f.rule}\u0000${f.reason}`;
    const g = groups.get(key) ?? { rule: f.rule, reason: f.reason, targets: [] };
    g.targets.push(findingTarget(f));
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => `${g.rule} ${g.targets.join(", ")}: excepted: ${g.reason}`);
}

/** The one-line form of an unused exception. */
export function formatUnused(e: PolicyException, source?: string): string {
  const where = source ? ` in ${source}` : "";
  const what = e.resources ? ` (${e.resources.join(", ")})` : "";
  return `unused exception ${e.rule}${what}${where} matches nothing in this stack: delete it`;
}

/**
 * Runs every rule on `terraformJson` (one stack's `cdk.tf.json` as an object) and applies the
 * exceptions: a finding is excepted by the first exception for its rule with a matching
 * pattern (or with no patterns). Exceptions, and single patterns of an exception, that cover
 * no finding are returned as unused.
 */
export function evaluatePolicy(stack: string, terraformJson: unknown, exceptions: readonly PolicyException[]): PolicyReport {
  const view = stackView(terraformJson);
  const findings: PolicyFinding[] = [];
  for (const rule of RULES) {
    const seen = new Set<string>();
    for (const hit of rule.check(view)) {
      const target = findingTarget({ address: hit.resource.address, part: hit.part });
      if (seen.has(target)) continue;
      seen.add(target);
      findings.push({
        rule: rule.id,
        mirrors: rule.mirrors,
        resourceType: hit.resource.type,
        address: hit.resource.address,
        ...(hit.part !== undefined ? { part: hit.part } : {}),
        message: hit.detail ? `${rule.message} (${hit.detail})` : rule.message,
        fix: rule.fix,
      });
    }
  }

  // Which exception (and which of its patterns) was used; an exception without patterns is index -1.
  const used = exceptions.map(() => new Set<number>());
  const usedWhole = exceptions.map(() => false);
  const violations: PolicyFinding[] = [];
  const excepted: Array<PolicyFinding & { readonly reason: string }> = [];
  for (const f of findings) {
    let covered = false;
    exceptions.forEach((e, i) => {
      if (covered || e.rule !== f.rule) return;
      if (!e.resources) {
        covered = true;
        usedWhole[i] = true;
      } else {
        const p = e.resources.findIndex((pattern) => patternMatches(pattern, f));
        if (p >= 0) {
          covered = true;
          used[i].add(p);
          // Every other pattern of the same exception that also covers it counts as used too.
          e.resources.forEach((pattern, j) => j !== p && patternMatches(pattern, f) && used[i].add(j));
        }
      }
      if (covered) excepted.push({ ...f, reason: e.reason });
    });
    if (!covered) violations.push(f);
  }

  const unusedExceptions: PolicyException[] = [];
  exceptions.forEach((e, i) => {
    if (!e.resources) {
      if (!usedWhole[i]) unusedExceptions.push(e);
      return;
    }
    const stale = e.resources.filter((_, j) => !used[i].has(j));
    if (stale.length === e.resources.length) unusedExceptions.push(e);
    else if (stale.length > 0) unusedExceptions.push({ ...e, resources: stale });
  });

  return { stack, rulesChecked: RULES.length, violations, excepted, unusedExceptions };
}
