/** Small helpers for IAM policy JSON (kept as plain JSON: no data source, no AWS call). */

export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  /** Resource policies (key, topic, bucket, trust) name who; identity policies never do. */
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
  /** A list; a single string only where a document's established form has one (trust policies). */
  readonly Action: string | readonly string[];
  /** Exactly one of Resource and NotResource. */
  readonly Resource?: string | readonly string[];
  readonly NotResource?: readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export function policy(statements: readonly Statement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/**
 * Pins a service trust to one account (confused deputy): `aws:SourceAccount`, and, where the
 * service sends it, `aws:SourceArn` (an ARN pattern inside that account).
 */
export interface SourceCondition {
  /** The account whose resources may make the service assume the role (a token at synth). */
  readonly account: string;
  /** ARN pattern the request must come from, e.g. `arn:aws:ecs:eu-west-1:<account>:*`. @default - SourceAccount only */
  readonly sourceArn?: string;
}

/** Trust policy for an AWS service principal, pinned to one account when `source` is given. */
export function serviceTrust(service: string, source?: SourceCondition): string {
  const condition = source
    ? { StringEquals: { "aws:SourceAccount": source.account }, ...(source.sourceArn ? { ArnLike: { "aws:SourceArn": source.sourceArn } } : {}) }
    : undefined;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", ...(condition ? { Condition: condition } : {}) }],
  });
}
