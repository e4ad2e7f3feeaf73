import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { ContainerRepository, type ContainerRepositoryProps } from "../lib/ecr";
import { resourcesOf, synthWith } from "./support/scope";

const synth = (props: Partial<ContainerRepositoryProps> = {}) => synthWith((s) => new ContainerRepository(s, "ecr", { name: "svc-dev", ...props }));
const lifecycle = (s: string) => JSON.parse(Object.values(resourcesOf(s, "aws_ecr_lifecycle_policy"))[0].policy);

describe("ContainerRepository", () => {
  test("defaults: immutable tags, scan on push, AES256, no force delete", () => {
    expect(synth()).toHaveResourceWithProperties(EcrRepository, {
      name: "svc-dev",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: "AES256" }],
      force_delete: false,
    });
  });

  test("default lifecycle: untagged expire after 7 days first, then keep the last 20 tagged", () => {
    const rules = lifecycle(synth()).rules;
    expect(rules).toEqual([
      expect.objectContaining({ rulePriority: 1, selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }, action: { type: "expire" } }),
      expect.objectContaining({ rulePriority: 2, selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: 20 }, action: { type: "expire" } }),
    ]);
  });

  test("overrides: mutable tags, KMS, retention counts", () => {
    const s = synth({ immutableTags: false, kmsKeyArn: "arn:aws:kms:eu-west-1:111111111111:key/abc", keepTaggedImages: 5, untaggedExpiryDays: 2 });
    expect(s).toHaveResourceWithProperties(EcrRepository, {
      image_tag_mutability: "MUTABLE",
      encryption_configuration: [{ encryption_type: "KMS", kms_key: "arn:aws:kms:eu-west-1:111111111111:key/abc" }],
    });
    const rules = lifecycle(s).rules;
    expect(rules[0].selection.countNumber).toBe(2);
    expect(rules[1].selection.countNumber).toBe(5);
  });

  test.each([
    [{ keepTaggedImages: 0 }, /keepTaggedImages must be a whole number >= 1, got 0/],
    [{ untaggedExpiryDays: 1.5 }, /untaggedExpiryDays must be a whole number >= 1, got 1.5/],
    [{ name: "Bad Name" }, /name "Bad Name" is not a valid ECR repository name/],
  ])("throws when %j", (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
