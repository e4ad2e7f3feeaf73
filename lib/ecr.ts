import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Construct } from "constructs";

export interface ContainerRepositoryProps {
  /** Repository name, e.g. `webapp`. */
  readonly name: string;
  /** Tags cannot be overwritten: images are tagged by git SHA, so a tag always means one image. @default true */
  readonly immutableTags?: boolean;
  /** How many tagged images to keep; older ones expire. @default 20 */
  readonly keepTaggedImages?: number;
  /** Days after which untagged images expire. @default 7 */
  readonly untaggedExpiryDays?: number;
  /** Customer-managed KMS key for encryption at rest. @default - AES256 (ECR-managed key) */
  readonly kmsKeyArn?: string;
}

/** ECR repository: scan on push, immutable tags, encryption, and a lifecycle policy. */
export class ContainerRepository extends Construct {
  public readonly repository: EcrRepository;
  /** The lifecycle policy document, as JSON. */
  public readonly lifecyclePolicy: string;

  constructor(scope: Construct, id: string, props: ContainerRepositoryProps) {
    super(scope, id);
    const immutableTags = props.immutableTags ?? true;
    const keepTaggedImages = props.keepTaggedImages ?? 20;
    const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
    if (!Number.isInteger(keepTaggedImages) || keepTaggedImages < 1) {
      throw new Error(`ContainerRepository: keepTaggedImages must be a whole number >= 1, got ${keepTaggedImages}`);
    }
    if (!Number.isInteger(untaggedExpiryDays) || untaggedExpiryDays < 1) {
      throw new Error(`ContainerRepository: untaggedExpiryDays must be a whole number >= 1, got ${untaggedExpiryDays}`);
    }
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(props.name)) {
      throw new Error(`ContainerRepository: name ${JSON.stringify(props.name)} is not a valid ECR repository name (lowercase, digits, . _ - /)`);
    }

    this.repository = new EcrRepository(this, "repository", {
      name: props.name,
      imageTagMutability: immutableTags ? "IMMUTABLE" : "MUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [props.kmsKeyArn ? { encryptionType: "KMS", kmsKey: props.kmsKeyArn } : { encryptionType: "AES256" }],
      forceDelete: false,
    });

    // Rule order matters: the lowest priority is evaluated first. Untagged images go after a
    // few days; then, of the tagged ones, only the newest N are kept.
    this.lifecyclePolicy = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: `Expire untagged images after ${untaggedExpiryDays} days`,
          selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: untaggedExpiryDays },
          action: { type: "expire" },
        },
        {
          rulePriority: 2,
          description: `Keep the last ${keepTaggedImages} tagged images`,
          selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: keepTaggedImages },
          action: { type: "expire" },
        },
      ],
    });
    new EcrLifecyclePolicy(this, "lifecycle", { repository: this.repository.name, policy: this.lifecyclePolicy });
  }
}
