#!/usr/bin/env bash
# Pushes the OCI archive image.tar to $REGISTRY/$REPOSITORY:$GITHUB_SHA with its digest
# preserved, then waits for ECR's scan of that digest and fails on critical or high findings.
# Used by .github/workflows/image.yml for each environment's repository.
set -euo pipefail
: "${REGISTRY:?}" "${REPOSITORY:?}" "${DIGEST:?}" "${GITHUB_SHA:?}"
aws ecr get-login-password | skopeo login --username AWS --password-stdin "$REGISTRY"
# Tags are immutable: a re-run finds the tag already there and checks it is this image.
existing=$(aws ecr describe-images --repository-name "$REPOSITORY" --image-ids imageTag="$GITHUB_SHA" \
  --query 'imageDetails[0].imageDigest' --output text 2>/dev/null || true)
if [ "$existing" = "$DIGEST" ]; then
  echo "$REPOSITORY:$GITHUB_SHA is already $DIGEST"
elif [ -n "$existing" ] && [ "$existing" != "None" ]; then
  echo "::error::$REPOSITORY:$GITHUB_SHA exists with another digest ($existing, not $DIGEST); tags never move"
  exit 1
else
  skopeo copy --preserve-digests oci-archive:image.tar "docker://$REGISTRY/$REPOSITORY:$GITHUB_SHA"
fi
aws ecr wait image-scan-complete --repository-name "$REPOSITORY" --image-id imageDigest="$DIGEST"
counts=$(aws ecr describe-image-scan-findings --repository-name "$REPOSITORY" --image-id imageDigest="$DIGEST" \
  --query 'imageScanFindings.findingSeverityCounts' --output json)
echo "Scan of $REPOSITORY@$DIGEST: $counts" >> "$GITHUB_STEP_SUMMARY"
critical=$(echo "$counts" | jq '(.CRITICAL // 0) + (.HIGH // 0)')
if [ "$critical" -gt 0 ]; then
  echo "::error::$REPOSITORY@$DIGEST has $critical critical or high findings; fix them before deploying this tag"
  exit 1
fi
