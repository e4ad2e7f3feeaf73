/**
 * The release rehearsal, end to end, against a local AWS (moto in server mode, through
 * scripts/local/moto_server.py): the real `terraform apply` of the state stack and dev, the real
 * plans after it, the built ecs-shift moving the weights of the real rule Terraform created, a
 * release through `ecs-shift set-image-tag`, destroy and down. Every check reads moto's state
 * (ELBv2 through the AWS SDK, ECS through its JSON API) or Terraform's own plan, never log lines.
 *
 * Never skipped: without moto it fails with the install line. The plans it makes are kept in
 * `<tmpdir>/ecs-bluegreen-rehearsal/plans/` (post-apply, post-shift, release).
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type Action,
  type Rule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { actionOf, countChanges, environmentSection, ignoredChangesOf, type PlanJson } from "../lib/plan/summary";
import {
  destroyAll,
  down,
  localPaths,
  planLocal,
  prepareLocalDir,
  runningServer,
  stopMoto,
  synthesize,
  up,
  applyPlan,
  type LocalPaths,
} from "../scripts/local";
import { requireTerraform } from "./support/terraform";
import { assertBuilt, cli } from "./support/ecs-shift";

const ROOT = path.resolve(__dirname, "..");
const WORK = path.join(os.tmpdir(), "ecs-bluegreen-rehearsal");
const PLANS = path.join(WORK, "plans");
const REGION = "eu-west-1";

type Colour = "blue" | "green";

/** The weighted forward of a rule or listener action list: weights by target group ARN, stickiness. */
function forwardOf(actions: readonly Action[] | undefined) {
  const forward = (actions ?? []).find((a) => a.Type === "forward");
  if (!forward) throw new Error(`no forward action in ${JSON.stringify(actions)}`);
  const groups = forward.ForwardConfig?.TargetGroups ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  return {
    weights: Object.fromEntries(groups.map((g) => [g.TargetGroupArn!, g.Weight ?? 1])),
    stickiness: forward.ForwardConfig?.TargetGroupStickinessConfig,
  };
}

/** ECS JSON API call to moto (unsigned: moto reads only the region from the credential scope). */
async function ecs(url: string, action: string, body: object): Promise<any> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AmazonEC2ContainerServiceV20141113.${action}`,
      Authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${REGION}/ecs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`ECS ${action} at ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Only resource changes that do something (no-op and read left out). */
function realChanges(plan: PlanJson): Array<{ address: string; type: string; action: string }> {
  return (plan.resource_changes ?? [])
    .filter((rc) => (rc.mode ?? "managed") === "managed" && !["no-op", "read"].includes(actionOf(rc.change.actions)))
    .map((rc) => ({ address: rc.address, type: rc.type, action: actionOf(rc.change.actions) }));
}

function savePlan(name: string, raw: string): void {
  fs.writeFileSync(path.join(PLANS, `${name}.plan.json`), raw);
}

describe("local release rehearsal (moto)", () => {
  let paths: LocalPaths | undefined;

  afterAll(async () => {
    // Whatever happened, stop exactly the server this test started.
    if (paths) await stopMoto(paths);
  });

  it("deploys state + dev, plans clean, shifts with ecs-shift, releases to the idle colour, destroys and stops", async () => {
    requireTerraform();
    assertBuilt();

    // A project of its own: set-image-tag edits config/dev.tfvars, never the repository's.
    fs.rmSync(WORK, { recursive: true, force: true });
    fs.mkdirSync(PLANS, { recursive: true });
    const project = path.join(WORK, "project");
    fs.cpSync(path.join(ROOT, "config"), path.join(project, "config"), { recursive: true });
    paths = localPaths(path.join(project, ".local"));

    // 1. up: the state stack and dev, applied for real. Without moto this fails at once with
    //    `pip install "moto[server]==5.2.1"` (requireMoto, test/local.test.ts).
    const deployed = await up({ projectDir: project, localDir: paths.dir, envs: ["dev"] });
    const url = deployed.url;
    expect(runningServer(paths)?.pid).toBe(deployed.pid);
    expect(Object.keys(deployed.outputs).sort()).toEqual(["dev", "state"]);
    const out = deployed.outputs.dev;
    expect(out.state_backend).toEqual({ type: "local", path: "terraform.tfstate" });
    const tg: Record<Colour, string> = { blue: String(out.blue_target_group_arn), green: String(out.green_target_group_arn) };
    const ruleArn = String(out.weighted_rule_arn);
    const testListenerArn = String(out.test_listener_arn);

    const elb = new ElasticLoadBalancingV2Client({ region: REGION, endpoint: url, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    const rule = async (): Promise<Rule> => (await elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }))).Rules![0];
    const weights = async () => {
      const w = forwardOf((await rule()).Actions).weights;
      return { blue: w[tg.blue], green: w[tg.green] };
    };
    const testListenerColour = async (): Promise<Colour> => {
      const l = (await elb.send(new DescribeListenersCommand({ ListenerArns: [testListenerArn] }))).Listeners![0];
      const w = forwardOf(l.DefaultActions).weights;
      const on = Object.entries(w).filter(([, v]) => v > 0).map(([arn]) => arn);
      expect(on).toHaveLength(1);
      return on[0] === tg.blue ? "blue" : "green";
    };

    const initial = await rule();
    expect(await weights()).toEqual({ blue: 100, green: 0 });
    expect(await testListenerColour()).toBe("green");
    for (const colour of ["blue", "green"] as const) {
      const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg[colour] }));
      expect(health.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State)).toEqual(["healthy"]);
    }

    // 2. The plan right after apply changes nothing.
    const devDir = paths.workDir("dev");
    const [postApply, statePlan] = await Promise.all([planLocal(devDir), planLocal(paths.workDir("state"))]);
    savePlan("dev-post-apply", postApply.raw);
    savePlan("state-post-apply", statePlan.raw);
    expect(realChanges(postApply.json as PlanJson)).toEqual([]);
    expect(realChanges(statePlan.json as PlanJson)).toEqual([]);

    // 3. ecs-shift against the real rule: only the weights move; stickiness and conditions stay;
    //    the test listener follows the idle colour.
    const flags = ["--env", "dev", "--outputs-file", paths.outputsFile("dev"), "--endpoint-url", url];
    const run = async (args: string[]) => {
      const r = await cli([...args, ...flags], { cwd: project });
      if (r.code !== 0) throw new Error(`ecs-shift ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    const unchangedApartFromWeights = async () => {
      const now = await rule();
      expect(now.Conditions).toEqual(initial.Conditions);
      expect(now.Priority).toEqual(initial.Priority);
      expect(forwardOf(now.Actions).stickiness).toEqual(forwardOf(initial.Actions).stickiness);
      expect(Object.keys(forwardOf(now.Actions).weights).sort()).toEqual([tg.blue, tg.green].sort());
    };

    const status = JSON.parse((await run(["status", "--json"])).stdout);
    expect(status).toMatchObject({ live: "blue", weights: { blue: 100, green: 0 }, testListener: "green" });

    const shifted = JSON.parse((await run(["shift", "--to", "green", "--json"])).stdout);
    // The lock check says plainly that it is off: local mode has a local backend, no shared lock.
    expect(shifted.lock).toMatchObject({ checked: [] });
    expect(shifted.lock.note).toMatch(/local backend/);
    expect(await weights()).toEqual({ blue: 0, green: 100 });
    expect(await testListenerColour()).toBe("blue");
    await unchangedApartFromWeights();

    await run(["shift", "--to", "blue", "--steps", "50,100", "--bake", "1s", "--poll", "1s"]);
    expect(await weights()).toEqual({ blue: 100, green: 0 });
    expect(await testListenerColour()).toBe("green");
    await unchangedApartFromWeights();

    await run(["revert"]);
    expect(await weights()).toEqual({ blue: 0, green: 100 });
    expect(await testListenerColour()).toBe("blue");
    await unchangedApartFromWeights();

    // 4. Terraform never undoes a flip: the plan after the shifts changes nothing.
    const postShift = await planLocal(devDir);
    savePlan("dev-post-shift", postShift.raw);
    expect(realChanges(postShift.json as PlanJson)).toEqual([]);

    // 5. A release: the new tag on the idle colour (blue, asked from the load balancer), then a
    //    plan that replaces only blue's task definition and updates only blue's service.
    await run(["set-image-tag", "--tag", "rehearsal1"]);
    expect(fs.readFileSync(path.join(project, "config", "dev.tfvars"), "utf8")).toMatch(/blue\s*=\s*"rehearsal1"/);
    synthesize(project, paths.outDir);
    const released = fs.readFileSync(path.join(paths.outDir, "stacks", "dev", "cdk.tf.json"), "utf8");
    prepareLocalDir(released, devDir, url);
    const release = await planLocal(devDir);
    savePlan("dev-release", release.raw);
    const releasePlan = release.json as PlanJson;
    const changes = realChanges(releasePlan);
    expect(countChanges(releasePlan)).toEqual({ add: 0, change: 1, destroy: 0, replace: 1 });
    expect(changes.map((c) => [c.type, c.action])).toEqual(
      expect.arrayContaining([
        ["aws_ecs_task_definition", "replace"],
        ["aws_ecs_service", "update"],
      ]),
    );
    for (const c of changes) expect(c.address).toMatch(/blue/);
    const summary = environmentSection({ name: "dev", plan: releasePlan, ignoredChanges: ignoredChangesOf(JSON.parse(released)) });
    expect(summary).toMatch(/\*\*replace\*\* `aws_ecs_task_definition\.[^`]*blue[^`]*`/);
    expect(summary).not.toMatch(/\*\*(replace|destroy)\*\* `[^`]*green/);

    await applyPlan(devDir); // exactly the plan checked above
    const services = await ecs(url, "DescribeServices", { cluster: String(out.cluster_name), services: [String(out.blue_service_name), String(out.green_service_name)] });
    const image = async (taskDefinition: string) =>
      (await ecs(url, "DescribeTaskDefinition", { taskDefinition })).taskDefinition.containerDefinitions[0].image as string;
    const [blueService, greenService] = services.services;
    expect(await image(blueService.taskDefinition)).toMatch(/:rehearsal1$/);
    expect(await image(greenService.taskDefinition)).toMatch(/:3f9c2a1$/);
    // The release moved no traffic: green is still live, the test listener still on blue.
    expect(await weights()).toEqual({ blue: 0, green: 100 });
    expect(await testListenerColour()).toBe("blue");
    await unchangedApartFromWeights();

    // 6. destroy: nothing left at the endpoint.
    await destroyAll(paths, url);
    expect((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).toEqual([]);
    // ECS keeps a deleted cluster as INACTIVE (AWS does too, for a while).
    const clusters = await ecs(url, "DescribeClusters", { clusters: [String(out.cluster_name)] });
    expect(clusters.clusters.map((c: { status: string }) => c.status)).toEqual(["INACTIVE"]);
    const s3 = new S3Client({ region: REGION, endpoint: url, forcePathStyle: true, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    await expect(s3.send(new HeadBucketCommand({ Bucket: String(deployed.outputs.state.state_bucket) }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    s3.destroy();
    elb.destroy();

    // 7. down: the server of the PID file is gone.
    const pid = deployed.pid;
    await down({ projectDir: project, localDir: paths.dir });
    expect(runningServer(paths)).toBeUndefined();
    expect(() => process.kill(pid, 0)).toThrow();
    fs.rmSync(project, { recursive: true, force: true });
  }, 15 * 60_000);
});
