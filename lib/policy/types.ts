/**
 * The policy pack's contract: rules, exceptions, findings and the report of one stack. Pure
 * data, no cdktf: other tools (the plan summary, CI) call `evaluatePolicy` on synthesized JSON.
 */

/**
 * A deliberate exception, written down with its reason (`policy_exceptions` in
 * `config/<env>.tfvars` or `config/state.hcl`).
 */
export interface PolicyException {
  /** The rule id, e.g. `LB-INTERNET-FACING`. */
  readonly rule: string;
  /** Why the finding is accepted; shown on every synth and in the plan summary. */
  readonly reason: string;
  /**
   * Terraform addresses or glob patterns like "aws_lb.*" (`*` any characters, `?` one). A
   * pattern may name one part of a resource after `#`: an IAM statement by its Sid
   * (`aws_iam_role_policy.github_deploy-policy_*#RegistryLogin`) or a container by its name.
   * A pattern without `#` covers every part of the resources it matches.
   * @default - every resource the rule flags
   */
  readonly resources?: readonly string[];
}

/** One resource (or one part of it) that breaks one rule. */
export interface PolicyFinding {
  readonly rule: string;
  /** checkov / Trivy (and other scanners') ids the rule mirrors. */
  readonly mirrors: readonly string[];
  /** Terraform type of the flagged resource, e.g. `aws_lb`. */
  readonly resourceType: string;
  /** Terraform address as in the synthesized JSON, e.g. `aws_lb.alb_7A364839`. */
  readonly address: string;
  /**
   * The part of the resource the finding is about, when the rule looks inside it: an IAM
   * statement's Sid (or `Statement[i]`), a container name, an inline rule.
   * @default - the resource as a whole
   */
  readonly part?: string;
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

/** What `evaluatePolicy` found in one stack. */
export interface PolicyReport {
  readonly stack: string;
  /** How many rules ran (all of RULES). */
  readonly rulesChecked: number;
  /** Findings no exception covers: synth fails on any. */
  readonly violations: readonly PolicyFinding[];
  /** Findings an exception covers, with its reason. */
  readonly excepted: ReadonlyArray<PolicyFinding & { readonly reason: string }>;
  /**
   * Exceptions (or, for an exception with several patterns, the patterns) that matched no
   * finding: stale, and to be deleted.
   */
  readonly unusedExceptions: readonly PolicyException[];
}

/** One resource of the synthesized JSON. */
export interface TfResource {
  /** e.g. `aws_lb` */
  readonly type: string;
  /** The Terraform name, e.g. `alb_7A364839`. */
  readonly name: string;
  /** `<type>.<name>` */
  readonly address: string;
  /** The resource's arguments, as synthesized (snake_case keys, `${...}` references as strings). */
  readonly body: Readonly<Record<string, unknown>>;
}

/** What a rule's check reports for one resource (or one part of it). */
export interface RuleHit {
  readonly resource: TfResource;
  /** See PolicyFinding.part. @default - the resource as a whole */
  readonly part?: string;
  /** Specifics appended to the rule's message, e.g. `port 22 from 0.0.0.0/0`. @default - none */
  readonly detail?: string;
}

/** Read access to one stack's synthesized JSON, for the rules. */
export interface StackView {
  /** Every resource of the given types (all resources when none are given). */
  resources(...types: string[]): TfResource[];
  /** The resource at `address` (`type.name`). */
  resource(address: string): TfResource | undefined;
  /**
   * Resources whose arguments reference `address` (a `${address.attr}` anywhere in them),
   * optionally only of the given types. `depends_on` and `lifecycle` do not count.
   */
  referrers(address: string, ...types: string[]): TfResource[];
  /** A data source's body (`data.<type>.<name>`), for IAM policy documents. */
  data(type: string, name: string): Readonly<Record<string, unknown>> | undefined;
}

/** One rule of the pack. */
export interface PolicyRule {
  /** Stable id, e.g. `LB-ACCESS-LOGS`: exceptions name it. */
  readonly id: string;
  /** checkov / Trivy ids it mirrors, e.g. ["CKV_AWS_91"]. Empty for the pack's own guards. */
  readonly mirrors: readonly string[];
  /** The Terraform resource type(s) it checks, e.g. `aws_lb` or `aws_iam_role_policy, aws_iam_policy`. */
  readonly resourceType: string;
  /** What is wrong when it fires (one line, no trailing period). */
  readonly message: string;
  /** How to fix it (one line). */
  readonly fix: string;
  /** Every resource (or part) that breaks the rule. Pure: reads the view, changes nothing. */
  readonly check: (view: StackView) => readonly RuleHit[];
}
