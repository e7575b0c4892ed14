"""Instance profiles against the sandbox: every branch, drift, faults, release, Observe's
zero writes, and instances outside the selection never named in any call."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws, Target, iam_action
from gdpr_operator.model import GLOBAL_REGION, Action, CheckResult, TenantPermissions
from gdpr_operator.reconcilers import Context
from gdpr_operator.reconcilers.instance_profiles import AgentRole, InstanceProfiles
from gdpr_operator.sandbox import ADMIN_ROLE, OPERATOR_ROLE, SandboxControl

from fixtures.calls import writes
from fixtures.contexts import spec

OTHER_PROFILES_PERMITTED = TenantPermissions(
    attach_agent_policies_to_instance_roles=True, replace_other_instance_profiles=True
)
"""The AwsAccount permits AttachPolicies (the default spec of these tests)."""
REGION, OTHER_REGION = "eu-west-1", "eu-central-1"
ROLE = "CloudWatchAgentServerRole"
AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
SSM_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
S3_READ_POLICY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
WEB = {"gdpr-scope": "web"}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
OUR_IAM_CREATION = [
    "iam:AddRoleToInstanceProfile",
    "iam:AttachRolePolicy",
    "iam:AttachRolePolicy",
    "iam:CreateInstanceProfile",
    "iam:CreateRole",
]
AGENT_ROLE, INSTANCE_PROFILES = AgentRole(), InstanceProfiles()


def _context(
    layer: Aws,
    account: AccountAccess,
    *,
    regions: Sequence[str] = (REGION,),
    policy: str = "Enforce",
    when_other: str = "AttachPolicies",
    owner: str = "security/web",
) -> Context:
    monitoring = spec(
        [account.name],
        list(regions),
        managementPolicy=policy,
        instances={
            "selector": {"tags": WEB},
            "instanceProfile": {"whenOtherProfileAttached": when_other},
        },
    )
    return Context.of(
        layer, monitoring, owner, permissions=OTHER_PROFILES_PERMITTED, regions=tuple(regions)
    )


async def _pass(context: Context, account: AccountAccess) -> list[CheckResult]:
    """One pass as the engine runs it: the account component, then each region's; its own
    PassCache, as every pass has."""
    fresh = context.next_pass()
    results = list((await AGENT_ROLE.reconcile(fresh, Target(account, GLOBAL_REGION))).results)
    for region in context.spec.regions:
        results += (await INSTANCE_PROFILES.reconcile(fresh, Target(account, region))).results
    return results


def _outcome(results: Iterable[CheckResult]) -> dict[tuple[str, str], tuple[bool, str]]:
    """(check, resource) -> (compliant, action)."""
    return {(r.check, r.resource): (r.compliant, r.action.value) for r in results}


def _instance_outcome(
    results: Iterable[CheckResult], instance_id: str
) -> dict[str, tuple[bool, str]]:
    return {r.check: (r.compliant, r.action.value) for r in results if r.resource == instance_id}


async def _launch(
    layer: Aws, target: Target, tags: dict[str, str], *, profile: str | None = None, count: int = 1
) -> list[str]:
    params: dict[str, Any] = {"ImageId": "ami-760aaa0f", "MinCount": count, "MaxCount": count}
    if tags:
        params["TagSpecifications"] = [
            {
                "ResourceType": "instance",
                "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
            }
        ]
    if profile is not None:
        params["IamInstanceProfile"] = {"Name": profile}
    reply = await layer.call(target, "ec2", "run_instances", **params)
    return [instance["InstanceId"] for instance in reply["Instances"]]


async def _foreign_profile(
    layer: Aws, account: AccountAccess, name: str, policies: Sequence[str] = (S3_READ_POLICY,)
) -> None:
    iam = Target(account, GLOBAL_REGION)
    await layer.call(
        iam, "iam", "create_role", RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST)
    )
    for arn in policies:
        await layer.call(iam, "iam", "attach_role_policy", RoleName=name, PolicyArn=arn)
    await layer.call(iam, "iam", "create_instance_profile", InstanceProfileName=name)
    await layer.call(
        iam, "iam", "add_role_to_instance_profile", InstanceProfileName=name, RoleName=name
    )


async def _held_profile(layer: Aws, target: Target, instance_id: str) -> str | None:
    reply = await layer.call(
        target,
        "ec2",
        "describe_iam_instance_profile_associations",
        Filters=[{"Name": "instance-id", "Values": [instance_id]}],
    )
    arns = [a["IamInstanceProfile"]["Arn"] for a in reply["IamInstanceProfileAssociations"]]
    return arns[0].rsplit("/", 1)[-1] if arns else None


async def _association_id(layer: Aws, target: Target, instance_id: str) -> str:
    reply = await layer.call(
        target,
        "ec2",
        "describe_iam_instance_profile_associations",
        Filters=[{"Name": "instance-id", "Values": [instance_id]}],
    )
    association_id: str = reply["IamInstanceProfileAssociations"][0]["AssociationId"]
    return association_id


async def _role_policies(layer: Aws, account: AccountAccess, role: str) -> set[str]:
    reply = await layer.call(
        Target(account, GLOBAL_REGION), "iam", "list_attached_role_policies", RoleName=role
    )
    return {policy["PolicyArn"] for policy in reply["AttachedPolicies"]}


SANDBOX_ROLES = {OPERATOR_ROLE, ADMIN_ROLE}
"""The roles every sandbox account has: the operator's and its administrator's."""


async def _iam_names(layer: Aws, account: AccountAccess) -> tuple[set[str], set[str]]:
    iam = Target(account, GLOBAL_REGION)
    roles = (await layer.call(iam, "iam", "list_roles"))["Roles"]
    profiles = (await layer.call(iam, "iam", "list_instance_profiles"))["InstanceProfiles"]
    return (
        {role["RoleName"] for role in roles},
        {profile["InstanceProfileName"] for profile in profiles},
    )


class RecordingAws(Aws):
    """The real layer, remembering every request it makes (service, operation, parameters)."""

    def __init__(self, layer: Aws) -> None:
        super().__init__(layer.settings)
        self.requests: list[tuple[str, str, dict[str, Any]]] = []

    async def __aenter__(self) -> RecordingAws:
        return self

    async def call(self, target: Target, service: str, operation: str, **params: Any) -> Any:
        self.requests.append((service, operation, params))
        return await super().call(target, service, operation, **params)

    async def paginate(
        self, target: Target, service: str, operation: str, **params: Any
    ) -> AsyncIterator[Any]:
        self.requests.append((service, operation, params))
        async for page in super().paginate(target, service, operation, **params):
            yield page


async def test_enforce_creates_the_tagged_role_and_profile_attaches_it_then_reads_only(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    web = await _launch(layer, target, WEB, count=2)
    context = _context(layer, scratch_account)
    sandbox.clear_calls()

    first = _outcome(await _pass(context, scratch_account))
    assert first[("iam.agent_role", ROLE)] == (False, "remediated")
    assert first[("iam.instance_profile", ROLE)] == (False, "remediated")
    for instance_id in web:
        assert first[("ec2.instance_profile_attached", instance_id)] == (False, "remediated")
        assert first[("ec2.instance_agent_permissions", instance_id)] == (False, "remediated")
        assert first[("ssm.managed_instance", instance_id)] == (False, "none")
        assert await _held_profile(layer, target, instance_id) == ROLE
    assert writes(sandbox, scratch_account) == sorted(
        OUR_IAM_CREATION + ["ec2:AssociateIamInstanceProfile"] * 2
    )
    role = (
        await layer.call(Target(scratch_account, GLOBAL_REGION), "iam", "get_role", RoleName=ROLE)
    )["Role"]
    assert {t["Key"]: t["Value"] for t in role["Tags"]} == {
        "gdpr-operator:managed-by": "gdpr-operator",
        "gdpr-operator:owner": "security/web",
    }
    assert role["AssumeRolePolicyDocument"] == EC2_TRUST
    assert await _role_policies(layer, scratch_account, ROLE) == {AGENT_POLICY, SSM_POLICY}

    sandbox.clear_calls()
    converged = await _pass(context, scratch_account)
    assert all(r.compliant and r.action is Action.NONE for r in converged)
    assert len(converged) == 2 + 3 * len(web)
    assert writes(sandbox, scratch_account) == []
    # GetRole, ListAttachedRolePolicies and GetInstanceProfile once, shared with the region;
    # DescribeInstances and DescribeInstanceInformation once each.
    assert sorted(
        (c["service"], c["operation"], c["count"])
        for c in sandbox.calls()
        if c["account"] == scratch_account.account_id
    ) == [
        ("ec2", "DescribeInstances", 1),
        ("iam", "GetInstanceProfile", 1),
        ("iam", "GetRole", 1),
        ("iam", "ListAttachedRolePolicies", 1),
        ("ssm", "DescribeInstanceInformation", 1),
    ]


async def test_instances_outside_the_selection_are_never_named(
    layer: Aws,
    scratch_account: AccountAccess,
) -> None:
    target = Target(scratch_account, REGION)
    await _foreign_profile(layer, scratch_account, "ops-ssm", [SSM_POLICY])
    (web,) = await _launch(layer, target, WEB)
    untagged = await _launch(layer, target, {})
    other_value = await _launch(layer, target, {"gdpr-scope": "batch"})
    with_profile = await _launch(layer, target, {"team": "ops"}, profile="ops-ssm")
    outsiders = untagged + other_value + with_profile

    async with RecordingAws(layer) as recording:
        context = _context(recording, scratch_account)
        results = await _pass(context, scratch_account)
        await AGENT_ROLE.release(context, Target(scratch_account, GLOBAL_REGION))

    assert {r.resource for r in results} == {ROLE, web}
    # Every call made is one the components declare.
    assert {iam_action(service, operation) for service, operation, _ in recording.requests} <= (
        AGENT_ROLE.iam_actions | INSTANCE_PROFILES.iam_actions
    )
    named = json.dumps([params for _, _, params in recording.requests])
    assert not [instance_id for instance_id in outsiders if instance_id in named]
    assert await _held_profile(layer, target, untagged[0]) is None
    assert await _held_profile(layer, target, other_value[0]) is None
    assert await _held_profile(layer, target, with_profile[0]) == "ops-ssm"


async def test_attach_policies_to_the_other_profiles_role_once_for_all_its_instances(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    await _foreign_profile(layer, scratch_account, "legacy-app")
    # One by one: moto gives a profile to the first instance of a multi-instance launch only.
    here = [
        instance_id
        for _ in range(2)
        for instance_id in await _launch(
            layer, Target(scratch_account, REGION), WEB, profile="legacy-app"
        )
    ]
    there = await _launch(layer, Target(scratch_account, OTHER_REGION), WEB, profile="legacy-app")
    context = _context(layer, scratch_account, regions=(REGION, OTHER_REGION))
    sandbox.clear_calls()

    results = await _pass(context, scratch_account)
    for instance_id in here + there:
        outcome = _instance_outcome(results, instance_id)
        assert outcome["ec2.instance_profile_attached"] == (True, "none")
        assert outcome["ec2.instance_agent_permissions"] == (False, "remediated")
    # Ours, and each missing policy once on the application's role, for three instances.
    assert writes(sandbox, scratch_account) == sorted(
        OUR_IAM_CREATION + ["iam:AttachRolePolicy"] * 2
    )
    assert await _role_policies(layer, scratch_account, "legacy-app") == {
        S3_READ_POLICY,
        AGENT_POLICY,
        SSM_POLICY,
    }
    assert await _held_profile(layer, Target(scratch_account, REGION), here[0]) == "legacy-app"

    sandbox.clear_calls()
    again = await _pass(context, scratch_account)
    assert all(r.compliant for r in again)
    assert writes(sandbox, scratch_account) == []


async def test_replace_swaps_in_the_agents_profile(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await _foreign_profile(layer, scratch_account, "legacy-app")
    (instance_id,) = await _launch(layer, target, WEB, profile="legacy-app")
    context = _context(layer, scratch_account, when_other="Replace")
    sandbox.clear_calls()

    results = await _pass(context, scratch_account)
    assert _instance_outcome(results, instance_id)["ec2.instance_agent_permissions"] == (
        False,
        "remediated",
    )
    assert writes(sandbox, scratch_account) == sorted(
        [*OUR_IAM_CREATION, "ec2:ReplaceIamInstanceProfileAssociation"]
    )
    assert await _held_profile(layer, target, instance_id) == ROLE
    assert await _role_policies(layer, scratch_account, "legacy-app") == {S3_READ_POLICY}

    sandbox.clear_calls()
    assert all(r.compliant for r in await _pass(context, scratch_account))
    assert writes(sandbox, scratch_account) == []


async def test_report_only_reports_another_profile_without_the_policies(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await _foreign_profile(layer, scratch_account, "legacy-app")
    (instance_id,) = await _launch(layer, target, WEB, profile="legacy-app")
    context = _context(layer, scratch_account, when_other="Report")
    sandbox.clear_calls()

    results = await _pass(context, scratch_account)
    assert _instance_outcome(results, instance_id) == {
        "ec2.instance_profile_attached": (True, "none"),
        "ec2.instance_agent_permissions": (False, "none"),
        "ssm.managed_instance": (False, "none"),
    }
    (permissions,) = [r for r in results if r.check == "ec2.instance_agent_permissions"]
    assert permissions.reason == (
        "role legacy-app (instance profile legacy-app) lacks "
        "CloudWatchAgentServerPolicy, AmazonSSMManagedInstanceCore"
    )
    assert writes(sandbox, scratch_account) == sorted(OUR_IAM_CREATION)
    assert await _held_profile(layer, target, instance_id) == "legacy-app"
    assert await _role_policies(layer, scratch_account, "legacy-app") == {S3_READ_POLICY}


async def test_a_pending_association_is_waited_on_not_repeated(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    (instance_id,) = await _launch(layer, target, WEB)
    context = _context(layer, scratch_account)
    await _pass(context, scratch_account)
    # As EC2 shows an association still under way: listed as associating, not yet on the
    # instance. The sandbox's EC2 (moto) associates at once, so it is held pending here.
    sandbox.hold_association(scratch_account.account_id, REGION, instance_id, "associating")
    sandbox.clear_calls()

    results = await _pass(context, scratch_account)
    assert _instance_outcome(results, instance_id) == {
        "ec2.instance_profile_attached": (False, "none"),
        "ec2.instance_agent_permissions": (False, "none"),
        "ssm.managed_instance": (True, "none"),
    }
    (attached,) = [r for r in results if r.check == "ec2.instance_profile_attached"]
    assert attached.reason == "profile association associating (in progress)"
    assert writes(sandbox, scratch_account) == []
    sandbox.clear_association_holds()


async def test_drift_of_the_role_and_profile_is_repaired_at_the_next_pass(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    iam = Target(scratch_account, GLOBAL_REGION)
    (instance_id,) = await _launch(layer, Target(scratch_account, REGION), WEB)
    context = _context(layer, scratch_account)
    await _pass(context, scratch_account)

    async def repaired_by(*expected: str) -> dict[tuple[str, str], tuple[bool, str]]:
        sandbox.clear_calls()
        results = await _pass(context, scratch_account)
        assert writes(sandbox, scratch_account) == sorted(expected)
        # Regional checks read IAM after the account component repaired it.
        assert all(r.compliant for r in results if r.resource == instance_id)
        return _outcome(results)

    await layer.call(iam, "iam", "detach_role_policy", RoleName=ROLE, PolicyArn=AGENT_POLICY)
    assert (await repaired_by("iam:AttachRolePolicy"))[("iam.agent_role", ROLE)] == (
        False,
        "remediated",
    )

    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    await layer.call(
        iam,
        "iam",
        "update_assume_role_policy",
        RoleName=ROLE,
        PolicyDocument=json.dumps(lambda_trust),
    )
    await repaired_by("iam:UpdateAssumeRolePolicy")

    # The same trust, spelt differently, is no drift.
    respelt = {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "Ec2",
            "Effect": "Allow",
            "Principal": {"Service": ["ec2.amazonaws.com"]},
            "Action": ["sts:AssumeRole"],
        },
    }
    await layer.call(
        iam, "iam", "update_assume_role_policy", RoleName=ROLE, PolicyDocument=json.dumps(respelt)
    )
    await repaired_by()

    await layer.call(
        iam, "iam", "remove_role_from_instance_profile", InstanceProfileName=ROLE, RoleName=ROLE
    )
    assert (await repaired_by("iam:AddRoleToInstanceProfile"))[("iam.instance_profile", ROLE)] == (
        False,
        "remediated",
    )

    await layer.call(
        iam, "iam", "remove_role_from_instance_profile", InstanceProfileName=ROLE, RoleName=ROLE
    )
    for arn in (AGENT_POLICY, SSM_POLICY):
        await layer.call(iam, "iam", "detach_role_policy", RoleName=ROLE, PolicyArn=arn)
    await layer.call(iam, "iam", "delete_role", RoleName=ROLE)
    await repaired_by(
        "iam:CreateRole",
        "iam:AttachRolePolicy",
        "iam:AttachRolePolicy",
        "iam:AddRoleToInstanceProfile",
    )


async def test_a_disassociated_profile_and_a_new_instance_get_the_profile(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    (first,) = await _launch(layer, target, WEB)
    context = _context(layer, scratch_account)
    await _pass(context, scratch_account)
    await layer.call(
        target,
        "ec2",
        "disassociate_iam_instance_profile",
        AssociationId=await _association_id(layer, target, first),
    )
    (launched,) = await _launch(layer, target, WEB)
    sandbox.clear_calls()

    results = _outcome(await _pass(context, scratch_account))
    assert results[("ec2.instance_profile_attached", first)] == (False, "remediated")
    assert results[("ec2.instance_profile_attached", launched)] == (False, "remediated")
    assert writes(sandbox, scratch_account) == ["ec2:AssociateIamInstanceProfile"] * 2
    assert await _held_profile(layer, target, first) == ROLE
    assert await _held_profile(layer, target, launched) == ROLE


async def test_observe_reports_what_it_would_do_and_writes_nothing(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await _foreign_profile(layer, scratch_account, "legacy-app")
    (bare,) = await _launch(layer, target, WEB)
    (legacy,) = await _launch(layer, target, WEB, profile="legacy-app")
    sandbox.clear_calls()

    results = await _pass(_context(layer, scratch_account, policy="Observe"), scratch_account)
    outcome = _outcome(results)
    # Nothing exists yet: no resource to name.
    assert outcome[("iam.agent_role", "")] == (False, "would_remediate")
    assert outcome[("iam.instance_profile", "")] == (False, "would_remediate")
    assert _instance_outcome(results, bare) == {
        "ec2.instance_profile_attached": (False, "would_remediate"),
        "ec2.instance_agent_permissions": (False, "would_remediate"),
        "ssm.managed_instance": (False, "none"),
    }
    assert _instance_outcome(results, legacy)["ec2.instance_agent_permissions"] == (
        False,
        "would_remediate",
    )
    assert writes(sandbox, scratch_account) == []
    assert await _iam_names(layer, scratch_account) == (
        {*SANDBOX_ROLES, "legacy-app"},
        {"legacy-app"},
    )

    await _pass(_context(layer, scratch_account), scratch_account)
    await layer.call(
        Target(scratch_account, GLOBAL_REGION),
        "iam",
        "detach_role_policy",
        RoleName=ROLE,
        PolicyArn=SSM_POLICY,
    )
    sandbox.clear_calls()
    drifted = await _pass(_context(layer, scratch_account, policy="Observe"), scratch_account)
    assert _outcome(drifted)[("iam.agent_role", ROLE)] == (False, "would_remediate")
    # The instances' role is the account component's to repair: reported, not planned here.
    assert _instance_outcome(drifted, bare)["ec2.instance_agent_permissions"] == (False, "none")
    assert writes(sandbox, scratch_account) == []


async def test_access_denied_on_a_write_fails_the_repair_naming_the_action(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    (instance_id,) = await _launch(layer, Target(scratch_account, REGION), WEB)
    sandbox.add_fault(
        "ec2",
        "access_denied",
        operation="AssociateIamInstanceProfile",
        account=scratch_account.account_id,
    )
    results = await _pass(_context(layer, scratch_account), scratch_account)
    repairs = [
        r for r in results if r.resource == instance_id and r.check != "ssm.managed_instance"
    ]
    assert {r.action for r in repairs} == {Action.FAILED}
    assert all("ec2:AssociateIamInstanceProfile" in r.reason for r in repairs)

    sandbox.add_fault(
        "iam", "access_denied", operation="AttachRolePolicy", account=scratch_account.account_id
    )
    iam = Target(scratch_account, GLOBAL_REGION)
    await layer.call(iam, "iam", "detach_role_policy", RoleName=ROLE, PolicyArn=AGENT_POLICY)
    account_results = await AGENT_ROLE.reconcile(_context(layer, scratch_account), iam)
    (role,) = [r for r in account_results.results if r.check == "iam.agent_role"]
    assert role.action is Action.FAILED
    assert "iam:AttachRolePolicy" in role.reason


async def test_release_removes_only_its_own_and_only_when_no_instance_holds_it(
    layer: Aws,
    scratch_account: AccountAccess,
) -> None:
    target, iam = Target(scratch_account, REGION), Target(scratch_account, GLOBAL_REGION)
    (web,) = await _launch(layer, target, WEB)
    (unselected,) = await _launch(layer, target, {})
    context = _context(layer, scratch_account)
    await _pass(context, scratch_account)
    # Someone put the agent's profile on an instance the spec does not select.
    await layer.call(
        target,
        "ec2",
        "associate_iam_instance_profile",
        InstanceId=unselected,
        IamInstanceProfile={"Name": ROLE},
    )

    other_owner = Context.of(layer, context.spec, "other/monitoring")
    assert not (await AGENT_ROLE.release(other_owner, iam)).released
    assert not (await INSTANCE_PROFILES.release(context, target)).released
    assert await _held_profile(layer, target, web) == ROLE

    kept = await AGENT_ROLE.release(context, iam)
    assert kept.released == [
        f"instance profile {ROLE} detached from 1 instance(s) in scratch/{REGION}"
    ]
    assert await _held_profile(layer, target, web) is None
    assert await _held_profile(layer, target, unselected) == ROLE
    assert ROLE in (await _iam_names(layer, scratch_account))[1]

    await layer.call(
        target,
        "ec2",
        "disassociate_iam_instance_profile",
        AssociationId=await _association_id(layer, target, unselected),
    )
    released = await AGENT_ROLE.release(context, iam)
    assert released.released == [f"instance profile {ROLE} in scratch", f"role {ROLE} in scratch"]
    assert await _iam_names(layer, scratch_account) == (SANDBOX_ROLES, set())


async def test_release_without_the_pass_regions_keeps_the_profile(
    layer: Aws,
    scratch_account: AccountAccess,
) -> None:
    """A release that cannot tell where instances may hold the profile deletes nothing."""
    target, iam = Target(scratch_account, REGION), Target(scratch_account, GLOBAL_REGION)
    (web,) = await _launch(layer, target, WEB)
    context = _context(layer, scratch_account)
    await _pass(context, scratch_account)
    kept = await AGENT_ROLE.release(dataclasses.replace(context, regions=()), iam)
    assert not kept.released
    assert kept.kept == [f"instance profile {ROLE} in scratch: no region known"]
    assert await _held_profile(layer, target, web) == ROLE
    assert ROLE in (await _iam_names(layer, scratch_account))[1]


async def test_release_leaves_a_role_and_profile_it_did_not_create(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    """A role and profile of the requested name that the operator did not create: nothing is
    written, in any pass or release, and the results say how to hand them over."""
    target = Target(scratch_account, REGION)
    await _foreign_profile(layer, scratch_account, ROLE, [])
    (web,) = await _launch(layer, target, WEB)
    context = _context(layer, scratch_account)
    sandbox.clear_calls()
    results = _outcome(await _pass(context, scratch_account))
    assert results[("iam.agent_role", ROLE)] == (False, "none")
    assert results[("iam.instance_profile", ROLE)] == (False, "none")
    assert not (await AGENT_ROLE.release(context, Target(scratch_account, GLOBAL_REGION))).released
    assert writes(sandbox, scratch_account) == []
    assert await _held_profile(layer, target, web) is None
    assert await _iam_names(layer, scratch_account) == ({*SANDBOX_ROLES, ROLE}, {ROLE})


ADMIN_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.mark.parametrize("role", ["admin", "gdpr-operator"])
async def test_a_tenant_naming_a_role_it_does_not_own_gets_nothing_written(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl, role: str
) -> None:
    """Measured on the old code: an admin role (trusted by an account principal) had its trust
    rewritten to EC2, the agent's policies attached, a profile made for it and put on the
    tenant's instances; naming the operator's own member role locked it out. Now: no write."""
    iam, target = Target(scratch_account, GLOBAL_REGION), Target(scratch_account, REGION)
    if role == "admin":
        await layer.call(
            iam,
            "iam",
            "create_role",
            RoleName=role,
            AssumeRolePolicyDocument=json.dumps(ADMIN_TRUST),
        )
        await layer.call(
            iam,
            "iam",
            "attach_role_policy",
            RoleName=role,
            PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess",
        )
    trust_before = (await layer.call(iam, "iam", "get_role", RoleName=role))["Role"][
        "AssumeRolePolicyDocument"
    ]
    (web,) = await _launch(layer, target, WEB)
    monitoring = spec(
        [scratch_account.name],
        [REGION],
        managementPolicy="Enforce",
        instances={"selector": {"tags": WEB}, "instanceProfile": {"roleName": role}},
    )
    sandbox.clear_calls()
    results = await _pass(Context.of(layer, monitoring, "tenant/web"), scratch_account)

    assert writes(sandbox, scratch_account) == []
    (agent_role,) = [r for r in results if r.check == "iam.agent_role"]
    assert (agent_role.compliant, agent_role.action) == (False, Action.NONE)
    assert "not created by gdpr-operator" in agent_role.reason
    assert "the account owner recreates it under that path" in agent_role.reason
    trust_after = (await layer.call(iam, "iam", "get_role", RoleName=role))["Role"][
        "AssumeRolePolicyDocument"
    ]
    assert trust_after == trust_before
    assert await _held_profile(layer, target, web) is None


async def test_an_other_profile_that_already_carries_the_policies_is_left_alone(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await _foreign_profile(layer, scratch_account, "able-app", [AGENT_POLICY, SSM_POLICY])
    (instance_id,) = await _launch(layer, target, WEB, profile="able-app")
    await _pass(_context(layer, scratch_account), scratch_account)  # creates the agent's role
    for when_other in ("AttachPolicies", "Replace", "Report"):
        sandbox.clear_calls()
        results = await _pass(
            _context(layer, scratch_account, when_other=when_other), scratch_account
        )
        assert _instance_outcome(results, instance_id) == {
            "ec2.instance_profile_attached": (True, "none"),
            "ec2.instance_agent_permissions": (True, "none"),
            "ssm.managed_instance": (True, "none"),
        }, when_other
        assert writes(sandbox, scratch_account) == []
        assert await _held_profile(layer, target, instance_id) == "able-app"


@pytest.mark.parametrize("when_other", ["AttachPolicies", "Replace"])
async def test_what_the_account_does_not_permit_writes_nothing_to_the_other_profile(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    when_other: str,
) -> None:
    """whenOtherProfileAttached: AttachPolicies or Replace, on an AwsAccount that permits
    neither (the default): the other profile and its role are only reported; only the
    operator's own role and profile are written."""
    target = Target(scratch_account, REGION)
    await _foreign_profile(layer, scratch_account, "legacy-app")
    (instance_id,) = await _launch(layer, target, WEB, profile="legacy-app")
    context = replace(
        _context(layer, scratch_account, when_other=when_other), permissions=TenantPermissions()
    )
    sandbox.clear_calls()

    results = await _pass(context, scratch_account)
    assert _instance_outcome(results, instance_id)["ec2.instance_agent_permissions"] == (
        False,
        "none",
    )
    assert writes(sandbox, scratch_account) == sorted(OUR_IAM_CREATION)
    assert await _role_policies(layer, scratch_account, "legacy-app") == {S3_READ_POLICY}
    assert await _held_profile(layer, target, instance_id) == "legacy-app"
