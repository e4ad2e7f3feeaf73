import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Construct } from "constructs";

/**
 * Synthesizes whatever `build` adds to a fresh stack (with an AWS provider) and returns the
 * synthesized JSON string, for the cdktf Testing matchers (`toHaveResourceWithProperties`).
 * Keys in the result are snake_case, as Terraform sees them.
 */
export function synthWith(build: (scope: Construct) => void): string {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  build(stack);
  return Testing.synth(stack);
}

/** The synthesized stack parsed, for assertions the matchers cannot express. */
export interface SynthJson {
  resource?: Record<string, Record<string, any>>;
  data?: Record<string, Record<string, any>>;
  output?: Record<string, any>;
  [k: string]: unknown;
}

export function parse(synth: string): SynthJson {
  return JSON.parse(synth) as SynthJson;
}

/** All resources of one type, keyed by their Terraform name. */
export function resourcesOf(synth: string, type: string): Record<string, any> {
  return parse(synth).resource?.[type] ?? {};
}
