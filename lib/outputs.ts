/**
 * Names of the Terraform outputs of every service stack: the contract between the stacks
 * and the weight-flip CLI (`ecs-shift --env <env>`). Renaming one breaks the CLI.
 */
export const OUTPUTS = {
  region: "region",
  loadBalancerDnsName: "load_balancer_dns_name",
  productionListenerArn: "production_listener_arn",
  testListenerArn: "test_listener_arn",
  weightedRuleArn: "weighted_rule_arn",
  blueTargetGroupArn: "blue_target_group_arn",
  greenTargetGroupArn: "green_target_group_arn",
  blueAlarmNames: "blue_alarm_names",
  greenAlarmNames: "green_alarm_names",
  clusterName: "cluster_name",
  blueServiceName: "blue_service_name",
  greenServiceName: "green_service_name",
  ecrRepositoryUrl: "ecr_repository_url",
  /**
   * Where this stack's Terraform state and lock live, so the CLI can refuse to move traffic
   * while an apply holds the lock: {@link StateBackendOutput}.
   */
  stateBackend: "state_backend",
} as const;

/** Value of the `state_backend` output. */
export type StateBackendOutput =
  | {
      readonly type: "s3";
      readonly bucket: string;
      /** The state object's key; with `use_lockfile` the lock is the object `<key>.tflock`. */
      readonly key: string;
      readonly region: string;
      /** S3 native locking (Terraform >= 1.10). */
      readonly use_lockfile: boolean;
      /** DynamoDB lock table (older Terraform); its lock item's LockID is `<bucket>/<key>`. "" when none. */
      readonly dynamodb_table: string;
    }
  | { readonly type: "local"; readonly path: string };
