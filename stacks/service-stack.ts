import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AccessLogBucket } from "../lib/access-log-bucket";
import { BlueGreenLoadBalancer } from "../lib/alb";
import { PermissionsBoundary } from "../lib/boundary";
import { COLOURS, type Colour, type EnvironmentConfig, type PerColour } from "../lib/config/types";
import { DnsAlias, DnsCertificate } from "../lib/dns";
import { ContainerRepository } from "../lib/ecr";
import { EcsCapacity } from "../lib/ecs-capacity";
import { EcsRoles } from "../lib/ecs-roles";
import { ColourService } from "../lib/ecs-service";
import { GithubOidc } from "../lib/github-oidc";
import { ServiceLogGroups } from "../lib/log-groups";
import { Network } from "../lib/network";
import { Observability } from "../lib/observability";
import { OUTPUTS, type StateBackendOutput } from "../lib/outputs";
import { secretParameterArn, ServiceSecrets } from "../lib/secrets";
import { SecurityGroups } from "../lib/security-groups";
import { WebAcl } from "../lib/waf";

export interface ServiceStackProps {
  /** The validated environment config (lib/config). */
  readonly config: EnvironmentConfig;
}

/** Tag key every resource carries through default_tags; the deploy role's EC2 writes are scoped by it. */
export const STACK_TAG = "Stack";

/**
 * One environment of the service: network, security groups, ECR, IAM, secrets, the ALB with its
 * blue and green target groups, ECS capacity, the blue and green services, and observability.
 * Its outputs are the contract with the weight-flip CLI (lib/outputs.ts).
 */
export class ServiceStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id);
    const c = props.config;
    const prefix = `${c.serviceName}-${c.environment}`;

    new AwsProvider(this, "aws", {
      region: c.region,
      allowedAccountIds: c.awsAccountId ? [c.awsAccountId] : undefined,
      defaultTags: [{ tags: { ...c.tags, Service: c.serviceName, Environment: c.environment, ManagedBy: "cdktf", [STACK_TAG]: prefix } }],
    });
    const stateBackend = this.backend(id, c);

    // Constructed first: nothing it needs, and its registry_id is the account id, known at apply
    // without a data source (offline plan keeps working). Trusts, key and topic policies and the
    // boundary pin this account with it.
    const ecr = new ContainerRepository(this, "ecr", {
      name: prefix,
      immutableTags: c.ecrImmutableTags,
      keepTaggedImages: c.ecrKeepTaggedImages,
      untaggedExpiryDays: c.ecrUntaggedExpiryDays,
    });
    const accountId = ecr.repository.registryId;
    const secretsPath = `/${c.serviceName}/${c.environment}`;
    const boundary = new PermissionsBoundary(this, "boundary", {
      namePrefix: prefix,
      region: c.region,
      accountId,
      ecrRepositoryArn: ecr.repository.arn,
      ssmParameterPath: secretsPath,
    });

    const network = new Network(this, "network", {
      namePrefix: prefix,
      vpcCidr: c.vpcCidr,
      availabilityZones: c.availabilityZones,
      publicSubnetCidrs: c.publicSubnetCidrs,
      privateSubnetCidrs: c.privateSubnetCidrs,
      natGatewayMode: c.natGatewayMode,
      flowLogRetentionInDays: c.flowLogRetentionInDays,
      region: c.region,
      accountId,
      permissionsBoundaryArn: boundary.arn,
    });
    const sgs = new SecurityGroups(this, "security-groups", {
      namePrefix: prefix,
      vpcId: network.vpc.id,
      ingressCidrs: c.ingressCidrs,
      listenerPorts: c.certificateArn || c.domainName ? [80, 443] : [80],
      testListenerPort: c.testListenerPort,
      testListenerCidrs: c.testListenerCidrs,
      containerPort: c.containerPort,
    });
    const logs = new ServiceLogGroups(this, "logs", { namePrefix: prefix, retentionInDays: c.logRetentionInDays });
    const roles = new EcsRoles(this, "ecs-roles", {
      namePrefix: prefix,
      region: c.region,
      accountId,
      permissionsBoundaryArn: boundary.arn,
      ecrRepositoryArn: ecr.repository.arn,
      logGroupArns: COLOURS.map((colour) => logs.byColour[colour].arn),
      // The roles come before the secrets' key, whose policy names the execution role.
      secretParameterArns: c.secrets.map((name) => secretParameterArn({ region: c.region, accountId, pathPrefix: secretsPath, name })),
    });
    const secrets = new ServiceSecrets(this, "secrets", {
      pathPrefix: secretsPath,
      names: c.secrets,
      region: c.region,
      accountId,
      executionRoleArn: roles.executionRole.arn,
      keyAliasName: `${prefix}-secrets`,
    });
    new GithubOidc(this, "github", {
      namePrefix: prefix,
      region: c.region,
      repository: c.githubRepository,
      subjectPrefix: c.githubSubjectPrefix,
      planSubjects: c.githubPlanSubjects,
      deployRefs: c.githubDeployRefs,
      deployEnvironments: c.githubDeployEnvironments,
      createProvider: c.createGithubOidcProvider,
      providerArn: c.githubOidcProviderArn,
      ecrRepositoryArn: ecr.repository.arn,
      passRoleArns: [roles.executionRole.arn, roles.taskRole.arn, roles.instanceRole.arn],
      flowLogsRoleArn: network.flowLogsRole.arn,
      ssmParameterPath: secretsPath,
      scopeTagKey: STACK_TAG,
      scopeTagValue: prefix,
      hostedZoneId: c.hostedZoneId,
      stateBucket: c.backend?.bucket ?? c.stateBucket,
      stateKey: c.backend?.key,
      stateLockTable: c.backend?.dynamodbTable,
      permissionsBoundaryArn: boundary.arn,
    });

    // ALB access logs: an existing bucket from config, else (prod's default) one the stack creates.
    const logBucket =
      !c.accessLogsBucket && c.createAccessLogsBucket
        ? new AccessLogBucket(this, "access-logs", { namePrefix: prefix, region: c.region, accountId, expiryDays: c.accessLogsExpiryDays })
        : undefined;

    const certificate = c.domainName && c.hostedZoneId ? new DnsCertificate(this, "dns-certificate", { domainName: c.domainName, hostedZoneId: c.hostedZoneId }) : undefined;
    const alb = new BlueGreenLoadBalancer(this, "alb", {
      namePrefix: prefix,
      vpcId: network.vpc.id,
      publicSubnetIds: network.publicSubnets.map((s) => s.id),
      securityGroupId: sgs.loadBalancer.id,
      containerPort: c.containerPort,
      healthCheckPath: c.healthCheckPath,
      healthCheckMatcher: c.healthCheckMatcher,
      healthCheckIntervalSeconds: c.healthCheckIntervalSeconds,
      healthCheckTimeoutSeconds: c.healthCheckTimeoutSeconds,
      healthyThreshold: c.healthyThreshold,
      unhealthyThreshold: c.unhealthyThreshold,
      deregistrationDelaySeconds: c.deregistrationDelaySeconds,
      certificateArn: certificate?.certificateArn ?? c.certificateArn,
      tlsPolicy: c.tlsPolicy,
      allowPlainHttp: c.allowPlainHttp,
      testListenerPort: c.testListenerPort,
      initialWeights: c.initialWeights,
      stickinessSeconds: c.stickinessSeconds,
      deletionProtection: c.deletionProtection,
      accessLogsBucket: c.accessLogsBucket ?? logBucket?.bucket.id,
      accessLogsDependsOn: logBucket ? [logBucket.policy] : [],
    });
    if (c.wafEnabled) {
      new WebAcl(this, "waf", { namePrefix: prefix, loadBalancerArn: alb.loadBalancer.arn, managedRuleGroups: c.wafManagedRuleGroups, rateLimit: c.wafRateLimit });
    }
    if (c.domainName && c.hostedZoneId) {
      new DnsAlias(this, "dns-alias", {
        domainName: c.domainName,
        hostedZoneId: c.hostedZoneId,
        targetDnsName: alb.loadBalancer.dnsName,
        targetZoneId: alb.loadBalancer.zoneId,
      });
    }

    const capacity = new EcsCapacity(this, "capacity", {
      namePrefix: prefix,
      privateSubnetIds: network.privateSubnets.map((s) => s.id),
      instanceSecurityGroupId: sgs.instances.id,
      instanceProfileArn: roles.instanceProfile.arn,
      instanceType: c.instanceType,
      asgMinSize: c.asgMinSize,
      asgMaxSize: c.asgMaxSize,
      asgDesiredCapacity: c.asgDesiredCapacity,
      rootVolumeSizeGiB: c.rootVolumeSizeGiB,
      maxTasks: 2 * c.autoscalingMaxCapacity,
    });

    const listeners = [alb.productionListener, alb.testListener];
    const service = (colour: Colour) =>
      new ColourService(this, `service-${colour}`, {
        colour,
        namePrefix: prefix,
        clusterArn: capacity.cluster.arn,
        clusterName: capacity.cluster.name,
        capacityProviderName: capacity.capacityProvider.name,
        image: `${ecr.repository.repositoryUrl}:${c.imageTags[colour]}`,
        containerPort: c.containerPort,
        cpu: c.taskCpu,
        memoryMiB: c.taskMemoryMiB,
        executionRoleArn: roles.executionRole.arn,
        taskRoleArn: roles.taskRole.arn,
        logGroupName: logs.byColour[colour].name,
        region: c.region,
        secrets: secrets.parameterArns,
        targetGroupArn: alb.targetGroups[colour].arn,
        subnetIds: network.privateSubnets.map((s) => s.id),
        securityGroupIds: [sgs.tasks.id],
        desiredCount: c.desiredCount[colour],
        healthCheckGracePeriodSeconds: c.healthCheckGracePeriodSeconds,
        stopTimeoutSeconds: c.stopTimeoutSeconds,
        deregistrationDelaySeconds: c.deregistrationDelaySeconds,
        containerUser: c.containerUser,
        autoscalingMinCapacity: c.autoscalingMinCapacity,
        autoscalingMaxCapacity: c.autoscalingMaxCapacity,
        cpuTarget: c.autoscalingCpuTarget,
        memoryTarget: c.autoscalingMemoryTarget,
        scaleInCooldownSeconds: c.autoscalingScaleInCooldownSeconds,
        scaleOutCooldownSeconds: c.autoscalingScaleOutCooldownSeconds,
        dependsOn: [...listeners, alb.weightedRule],
      });
    const services: PerColour<ColourService> = { blue: service("blue"), green: service("green") };

    const observability = new Observability(this, "observability", {
      namePrefix: prefix,
      region: c.region,
      loadBalancerArnSuffix: alb.loadBalancer.arnSuffix,
      targetGroupArnSuffixes: { blue: alb.targetGroups.blue.arnSuffix, green: alb.targetGroups.green.arnSuffix },
      clusterName: capacity.cluster.name,
      serviceNames: { blue: services.blue.service.name, green: services.green.service.name },
      target5xxThreshold: c.alarm5xxThreshold,
      p99LatencySeconds: c.alarmP99LatencySeconds,
      cpuPercent: c.alarmCpuPercent,
      evaluationPeriods: c.alarmEvaluationPeriods,
      periodSeconds: c.alarmPeriodSeconds,
      alarmEmail: c.alarmEmail,
      accountId,
    });

    const output = (name: string, value: unknown, description: string) => new TerraformOutput(this, name, { value, description });
    output(OUTPUTS.region, c.region, "AWS region of this environment");
    output(OUTPUTS.stateBackend, stateBackend, "Where this environment's state and its lock live (ecs-shift refuses to shift while an apply holds the lock)");
    output(OUTPUTS.loadBalancerDnsName, alb.loadBalancer.dnsName, "Public DNS name of the load balancer");
    output(OUTPUTS.productionListenerArn, alb.productionListener.arn, "Production listener (443, or 80 without a certificate)");
    output(OUTPUTS.testListenerArn, alb.testListener.arn, "Test listener, forwarding to the idle colour");
    output(OUTPUTS.weightedRuleArn, alb.weightedRule.arn, "The weighted blue/green forward rule (weights owned by ecs-shift)");
    output(OUTPUTS.blueTargetGroupArn, alb.targetGroups.blue.arn, "Blue target group");
    output(OUTPUTS.greenTargetGroupArn, alb.targetGroups.green.arn, "Green target group");
    output(OUTPUTS.blueAlarmNames, observability.alarmNames.blue, "Alarms gating traffic to blue");
    output(OUTPUTS.greenAlarmNames, observability.alarmNames.green, "Alarms gating traffic to green");
    output(OUTPUTS.clusterName, capacity.cluster.name, "ECS cluster");
    output(OUTPUTS.blueServiceName, services.blue.service.name, "Blue ECS service");
    output(OUTPUTS.greenServiceName, services.green.service.name, "Green ECS service");
    output(OUTPUTS.ecrRepositoryUrl, ecr.repository.repositoryUrl, "ECR repository images are pushed to");
  }

  /**
   * The S3 backend of `config/backend-<env>.hcl` (one state object per environment, S3 native
   * locking), else cdktf's local backend. Returns what the `state_backend` output says.
   */
  private backend(id: string, c: EnvironmentConfig): StateBackendOutput {
    const b = c.backend;
    if (!b) return { type: "local", path: `terraform.${id}.tfstate` };
    const s3 = new S3Backend(this, {
      bucket: b.bucket,
      key: b.key,
      region: b.region,
      encrypt: true,
      kmsKeyId: b.kmsKeyId,
      dynamodbTable: b.dynamodbTable,
    });
    // cdktf 0.21's S3Backend has no useLockfile (TOOLCHAIN.md).
    if (b.useLockfile) s3.addOverride("use_lockfile", true);
    return { type: "s3", bucket: b.bucket, key: b.key, region: b.region, use_lockfile: b.useLockfile, dynamodb_table: b.dynamodbTable ?? "" };
  }
}
