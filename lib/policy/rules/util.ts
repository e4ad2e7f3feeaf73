/** Helpers the rule files share. */
import type { RuleHit, TfResource } from "../types";

/**
 * One hit per resource that fails: `fails` returns false when the resource passes, true when it
 * fails, or a string when it fails with a detail worth showing (`port 22 from 0.0.0.0/0`).
 */
export function hits(resources: readonly TfResource[], fails: (r: TfResource) => boolean | string): RuleHit[] {
  return resources.flatMap((resource) => {
    const why = fails(resource);
    return why === false ? [] : [{ resource, detail: typeof why === "string" ? why : undefined }];
  });
}
