#!/usr/bin/env python3
"""A local AWS for `npm run local`: moto 5.2 in server mode on 127.0.0.1, with the gaps that stop
a real `terraform apply` of this project's stacks filled at runtime. The installed moto package is
never edited: every patch below replaces or wraps one attribute after import, and says which gap
it fills and what the real AWS does.

Usage: python3 scripts/local/moto_server.py [--port 0] [--pid-file F] [--url-file F]
Prints one line `{"url": "http://127.0.0.1:PORT", "pid": N}` on stdout once it serves, then runs
until SIGTERM/SIGINT.

Needs moto[server] 5.2.1: pip install "moto[server]==5.2.1"
"""
import argparse
import json
import os
import signal
import sys
import threading

INSTALL = 'pip install "moto[server]==5.2.1"'
TESTED = "5.2.1"

# Must be set before moto's IAM backend loads: the stacks attach AWS managed policies
# (AmazonEC2ContainerServiceforEC2Role and friends), which moto only knows with this on.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

try:
    import moto  # noqa: F401
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
except ImportError as e:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        f"moto_server: moto with its server extra is not installed for {sys.executable} ({e}).\n"
        f"Install it with: {INSTALL}\n"
    )
    sys.exit(3)


def _patch_application_autoscaling():
    """Application Auto Scaling: moto has no TagResource / UntagResource / ListTagsForResource and
    RegisterScalableTarget drops Tags. The AWS provider reads the tags of every
    aws_appautoscaling_target and retries the unknown operation forever: the apply hangs."""
    from moto.applicationautoscaling import responses as r

    tags_by_arn = {}
    lock = threading.Lock()
    original_register = r.ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self):
        body = original_register(self)
        arn = json.loads(body)["ScalableTargetARN"]
        tags = self._get_param("Tags") or {}
        with lock:
            tags_by_arn.setdefault(arn, {}).update(tags)
        return body

    def tag_resource(self):
        arn = self._get_param("ResourceARN")
        with lock:
            tags_by_arn.setdefault(arn, {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self):
        arn = self._get_param("ResourceARN")
        with lock:
            for k in self._get_param("TagKeys") or []:
                tags_by_arn.get(arn, {}).pop(k, None)
        return "{}"

    def list_tags_for_resource(self):
        arn = self._get_param("ResourceARN")
        with lock:
            return json.dumps({"Tags": dict(tags_by_arn.get(arn, {}))})

    r.ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    r.ApplicationAutoScalingResponse.tag_resource = tag_resource
    r.ApplicationAutoScalingResponse.untag_resource = untag_resource
    r.ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource


def _patch_application_autoscaling_not_found():
    """Application Auto Scaling: deleting a scaling policy or deregistering a scalable target that
    is already gone answers ValidationException in moto; AWS answers ObjectNotFoundException, which
    the AWS provider takes as "already deleted". A delete the provider retries (its first answer
    lost on a busy machine) then failed `down` and the rehearsal's destroy at random."""
    from moto.applicationautoscaling import models as m
    from moto.core.exceptions import JsonRESTError

    class ObjectNotFound(JsonRESTError):
        def __init__(self, message):
            super().__init__("ObjectNotFoundException", message)

    original_delete = m.ApplicationAutoscalingBackend.delete_scaling_policy
    original_deregister = m.ApplicationAutoscalingBackend.deregister_scalable_target

    def delete_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension):
        key = m.FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id, scalable_dimension, policy_name)
        if key not in self.policies:
            raise ObjectNotFound(f"No scaling policy found for service namespace: {service_namespace}, resource ID: {resource_id}, scalable dimension: {scalable_dimension}, policy name: {policy_name}")
        return original_delete(self, policy_name, service_namespace, resource_id, scalable_dimension)

    def deregister_scalable_target(self, namespace, r_id, dimension):
        if not self._scalable_target_exists(r_id, dimension):
            raise ObjectNotFound(f"No scalable target found for service namespace: {namespace}, resource ID: {r_id}, scalable dimension: {dimension}")
        return original_deregister(self, namespace, r_id, dimension)

    m.ApplicationAutoscalingBackend.delete_scaling_policy = delete_scaling_policy
    m.ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target


def _patch_autoscaling():
    """Auto Scaling:
    - no StartInstanceRefresh / DescribeInstanceRefreshes, so an update of an ASG with an
      instance_refresh block hangs. Here a refresh completes at once (moto runs no instance,
      there is nothing to replace);
    - DefaultInstanceWarmup and a few other group fields are dropped: a perpetual update."""
    import uuid

    from moto.autoscaling import responses as r
    from moto.core.responses import ActionResult

    refreshes = {}

    def start_instance_refresh(self):
        group = self._get_param("AutoScalingGroupName")
        refresh_id = str(uuid.uuid4())
        refreshes.setdefault(group, []).insert(
            0,
            {
                "InstanceRefreshId": refresh_id,
                "AutoScalingGroupName": group,
                "Status": "Successful",
                "PercentageComplete": 100,
                "InstancesToUpdate": 0,
            },
        )
        return ActionResult({"InstanceRefreshId": refresh_id})

    def describe_instance_refreshes(self):
        group = self._get_param("AutoScalingGroupName")
        return ActionResult({"InstanceRefreshes": refreshes.get(group, [])})

    def cancel_instance_refresh(self):
        group = self._get_param("AutoScalingGroupName")
        for ref in refreshes.get(group, []):
            if ref["Status"] in ("Pending", "InProgress"):
                ref["Status"] = "Cancelled"
                return ActionResult({"InstanceRefreshId": ref["InstanceRefreshId"]})
        return ActionResult({})

    # CreateAutoScalingGroup / UpdateAutoScalingGroup drop these; AWS returns each of them from
    # DescribeAutoScalingGroups, and without them every plan updates the group in place.
    from botocore import xform_name

    kept = ("DefaultInstanceWarmup", "MaxInstanceLifetime", "DesiredCapacityType", "Context", "DefaultCooldown", "CapacityRebalance")

    def keeping(original):
        def handler(self):
            result = original(self)
            group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
            if group is not None:
                for field in kept:
                    value = self._get_param(field)
                    if value is not None:
                        setattr(group, xform_name(field), value)
            return result

        return handler

    r.AutoScalingResponse.create_auto_scaling_group = keeping(r.AutoScalingResponse.create_auto_scaling_group)
    r.AutoScalingResponse.update_auto_scaling_group = keeping(r.AutoScalingResponse.update_auto_scaling_group)
    r.AutoScalingResponse.start_instance_refresh = start_instance_refresh
    r.AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes
    r.AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh


# CreateService fields moto drops; AWS returns each of them from DescribeServices.
_ECS_KEPT_FIELDS = (
    "capacityProviderStrategy",
    "placementStrategy",
    "placementConstraints",
    "healthCheckGracePeriodSeconds",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
)


def _patch_ecs():
    """ECS: CreateService drops capacityProviderStrategy, placementStrategy,
    healthCheckGracePeriodSeconds and more, so Terraform reads them back empty and plans to
    replace both services on every plan. Keep them on the service as UpdateService already does."""
    from botocore import xform_name
    from moto.ecs import responses as r

    original_create = r.EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = original_create(self)
        service = self.ecs_backend._get_service(
            self._get_param("cluster", "default"), self._get_param("serviceName")
        )
        for field in _ECS_KEPT_FIELDS:
            value = self._get_param(field)
            if value is not None:
                setattr(service, xform_name(field), value)
        return result

    r.EC2ContainerServiceResponse.create_service = create_service


def _patch_ec2():
    """EC2:
    - CreateLaunchTemplate copies the template's own tags (TagSpecifications of resource type
      launch-template) into the template data, where AWS never puts them: a perpetual diff on
      aws_launch_template.tag_specifications.
    - DescribeSecurityGroupRules omits Description for rules that reference a group: a perpetual
      diff on aws_vpc_security_group_*_rule.description."""
    from moto.ec2.models import security_groups as sg
    from moto.ec2.responses import launch_templates as lt

    original_create_lt = lt.LaunchTemplates.create_launch_template

    def create_launch_template(self):
        # Strip what moto added: entries of resource type launch-template (AWS allows none in
        # the data), and the list itself when nothing else is left in it.
        result = original_create_lt(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        for version in template.versions:
            specs = version.data.get("TagSpecifications")
            if specs is None:
                continue
            kept = [s for s in specs if s.get("ResourceType") != "launch-template"]
            if kept:
                version.data["TagSpecifications"] = kept
            else:
                version.data.pop("TagSpecifications")
        return result

    lt.LaunchTemplates.create_launch_template = create_launch_template

    def description(self):
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    sg.SecurityGroupRule.description = property(description)


def _patch_s3():
    """S3: moto evaluates bucket policies but cannot evaluate aws:SecureTransport or s3:TlsVersion,
    so the state bucket's "deny plain HTTP" statement denies every object read. The local
    endpoint is plain HTTP on 127.0.0.1 only; evaluate the policy as AWS would for a TLS 1.2
    request (those statements do not apply), everything else unchanged."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3 import models as m

    transport_keys = {"aws:securetransport", "s3:tlsversion"}

    def only_transport_condition(statement):
        cond = statement.get("Condition") or {}
        keys = {k.lower() for op in cond.values() if isinstance(op, dict) for k in op}
        return bool(keys) and keys <= transport_keys

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        doc = json.loads(self.policy.decode())
        statements = doc.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        doc["Statement"] = [s for s in statements if not (s.get("Effect") == "Deny" and only_transport_condition(s))]
        if not doc["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(doc)).is_action_permitted(action, resource)

    m.FakeBucket.get_permission = get_permission


def _patch_elbv2():
    """ELBv2: moto refuses an 11th tag on any resource (TooManyTags); AWS allows 50 per load
    balancer, target group, listener and rule. The weighted rule carries the stack's default tags
    plus ecs-shift's journal and lease (12 tags), so `ecs-shift shift` fails against moto at its
    first journal write. Same check, AWS's limit."""
    from moto.elbv2 import models as m

    limit = 50

    def add_tags(self, resource_arns, tags):
        tag_dict = self.tagging_service.flatten_tag_list(tags)
        for arn in resource_arns:
            existing = self.tagging_service.get_tag_dict_for_resource(arn)
            if len(set(existing) | set(tag_dict)) > limit:
                raise m.TooManyTagsError()
            self._get_resource_by_arn(arn)
            self.tagging_service.tag_resource(arn, tags)

    m.ELBv2Backend.add_tags = add_tags


PATCHES = (_patch_application_autoscaling, _patch_application_autoscaling_not_found, _patch_autoscaling, _patch_ecs, _patch_ec2, _patch_s3, _patch_elbv2)


def apply_patches():
    for patch in PATCHES:
        try:
            patch()
        except Exception as e:  # a different moto: say which gap stays open, keep serving
            sys.stderr.write(
                f"moto_server: could not apply {patch.__name__} to moto {moto.__version__} ({type(e).__name__}: {e}); "
                f"that gap stays open. This launcher is tested with moto {TESTED}: {INSTALL}\n"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--pid-file", help="write this process's id here; removed on exit")
    parser.add_argument("--url-file", help="write the endpoint URL here; removed on exit")
    args = parser.parse_args()

    if moto.__version__ != TESTED:
        sys.stderr.write(f"moto_server: moto {moto.__version__} found, tested with {TESTED} ({INSTALL}); continuing.\n")
    apply_patches()

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"

    written = []
    for path, content in ((args.pid_file, str(os.getpid())), (args.url_file, url)):
        if path:
            with open(path, "w") as f:
                f.write(content + "\n")
            written.append(path)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(json.dumps({"url": url, "pid": os.getpid()}), flush=True)
    stop.wait()
    server.stop()
    for path in written:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
