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
} as const;
