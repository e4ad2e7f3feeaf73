import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { policy, type Statement } from "./iam-policy";

/**
 * What the account's administrators may do with a stack key through IAM: manage it, never use
 * it. Decrypt, Encrypt, GenerateDataKey and CreateGrant are absent on purpose: the account root
 * delegating `kms:*` to IAM (the AWS default key policy) would let any principal with an IAM
 * allow on kms:Decrypt read what the key protects. Who may use the key is named in the key's
 * own statements. PutKeyPolicy stays, so an administrator can always change the policy (KMS
 * refuses a policy that would lock its caller out).
 */
export const KEY_ADMIN_ACTIONS = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListResourceTags",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:PutKeyPolicy",
  "kms:EnableKeyRotation",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:DisableKey",
  "kms:UpdateKeyDescription",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:UpdateAlias",
  "kms:RevokeGrant",
  "kms:RetireGrant",
] as const;

export interface KeyPolicyInput {
  /** AWS partition. */
  readonly partition: string;
  /** The account that owns the key (a token at synth, e.g. the ECR repository's `registry_id`). */
  readonly accountId: string;
  /** Who may use the key, and how: each statement names its principal; Resource is always "*" (the key itself). */
  readonly usage: readonly Statement[];
}

/** A key policy: administration through the account's IAM (never use), then `usage`. Pure. */
export function keyPolicyStatements(input: KeyPolicyInput): Statement[] {
  return [
    {
      Sid: "AccountAdministersNeverUses",
      Effect: "Allow",
      Principal: { AWS: `arn:${input.partition}:iam::${input.accountId}:root` },
      Action: [...KEY_ADMIN_ACTIONS],
      Resource: "*",
    },
    ...input.usage,
  ];
}

export interface StackKeyProps {
  /** The alias, without `alias/`, e.g. `webapp-dev-secrets`. */
  readonly aliasName: string;
  readonly description: string;
  /** The owning account (token allowed). */
  readonly accountId: string;
  /** Statements naming who may use the key. */
  readonly usage: readonly Statement[];
  /** @default "aws" */
  readonly partition?: string;
  /** Days between deletion being scheduled and done, 7..30. @default 30 */
  readonly deletionWindowInDays?: number;
}

/**
 * A customer-managed symmetric KMS key with yearly rotation and an alias, whose policy lets the
 * account administer it but names every user explicitly (see `KEY_ADMIN_ACTIONS`).
 */
export class StackKey extends Construct {
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;
  /** The key policy document as synthesized (JSON). */
  public readonly policyJson: string;

  constructor(scope: Construct, id: string, props: StackKeyProps) {
    super(scope, id);
    const window = props.deletionWindowInDays ?? 30;
    if (!Number.isInteger(window) || window < 7 || window > 30) throw new Error(`StackKey: deletionWindowInDays must be 7..30, got ${window}`);
    if (!/^[A-Za-z0-9/_-]{1,250}$/.test(props.aliasName) || props.aliasName.startsWith("aws/")) {
      throw new Error(`StackKey: aliasName must be letters, digits, / _ - and not start with aws/, got ${JSON.stringify(props.aliasName)}`);
    }
    this.policyJson = policy(keyPolicyStatements({ partition: props.partition ?? "aws", accountId: props.accountId, usage: props.usage }));
    this.key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: window,
      policy: this.policyJson,
    });
    this.alias = new KmsAlias(this, "alias", { name: `alias/${props.aliasName}`, targetKeyId: this.key.keyId });
  }
}
