"""VPC flow logs enforced against the sandbox: the delivery role, the group and a tagged flow
log per VPC in scope made once, then reads only; Observe writing nothing; someone else's
working flow log and a role of the same name not the operator's left alone; a deleted flow
log made again; release removing only the operator's, and only when no other Enforce
GdprMonitoring asking for flow logs covers them."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import GLOBAL_REGION, Action, CheckResult, MonitoringSpec
from gdpr_operator.reconcilers import Context, Declaration
from gdpr_operator.reconcilers.audit import VpcFlowLogs
from gdpr_operator.reconcilers.flow_logs import ROLE_NAME, FlowLogs, FlowLogsRole, policy_name
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import writes
from fixtures.contexts import context, spec

REGION = "eu-west-1"
GROUP = "/gdpr/web/vpc-flow-logs"
OWN_TAGS = {"gdpr-operator:managed-by": "gdpr-operator", "gdpr-operator:owner": "security/web"}
ROLE, LOGS = FlowLogsRole(), FlowLogs()


def _spec(account: AccountAccess, policy: str = "Enforce", **flow_logs: Any) -> MonitoringSpec:
    return spec(
        [account.name],
        [REGION],
        managementPolicy=policy,
        deletionPolicy="Delete",
        logs={"groupPrefix": "/gdpr/web", "retentionDays": 90},
        flowLogs=flow_logs,
    )


async def _pass(
    layer: Aws, monitoring: MonitoringSpec, account: AccountAccess
) -> list[CheckResult]:
    """One pass as the engine makes it: the account component, then the region's."""
    ctx = context(layer, monitoring)
    results = list((await ROLE.reconcile(ctx, Target(account, GLOBAL_REGION))).results)
    return results + list((await LOGS.reconcile(ctx, Target(account, REGION))).results)


async def _vpc(layer: Aws, account: AccountAccess, **tags: str) -> str:
    target = Target(account, REGION)
    vpc = (await layer.call(target, "ec2", "create_vpc", CidrBlock="10.8.0.0/16"))["Vpc"]["VpcId"]
    if tags:
        await layer.call(
            target,
            "ec2",
            "create_tags",
            Resources=[vpc],
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    return vpc


async def _flow_logs(layer: Aws, account: AccountAccess) -> list[dict[str, Any]]:
    reply = await layer.call(Target(account, REGION), "ec2", "describe_flow_logs")
    return list(reply["FlowLogs"])


async def _their_flow_log(layer: Aws, target: Target, vpc: str, traffic: str, group: str) -> str:
    """A flow log of the VPC that is not the operator's (another team's role, no tags)."""
    created = await layer.call(
        target,
        "ec2",
        "create_flow_logs",
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType=traffic,
        LogGroupName=group,
        DeliverLogsPermissionArn=f"arn:aws:iam::{target.account_id}:role/net",
    )
    flow_log: str = created["FlowLogIds"][0]
    return flow_log


def _by_check(results: list[CheckResult], check: str) -> dict[str, CheckResult]:
    return {result.resource: result for result in results if result.check == check}


async def test_enforce_makes_role_group_and_tagged_flow_logs_once_then_reads_only(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    in_scope = await _vpc(layer, scratch_account, env="prod")
    await _vpc(layer, scratch_account, env="test")  # outside the selection
    monitoring = _spec(scratch_account, selector={"tags": {"env": "prod"}}, trafficType="REJECT")
    since = time.time()
    results = await _pass(layer, monitoring, scratch_account)

    (role,) = _by_check(results, "iam.flow_logs_role").values()
    assert (role.resource, role.action) == (ROLE_NAME, Action.REMEDIATED)
    (group,) = _by_check(results, "vpc.flow_logs_group").values()
    assert (group.resource, group.action, group.reason) == (
        GROUP,
        Action.REMEDIATED,
        "the log group does not exist",
    )
    delivered = _by_check(results, "vpc.flow_logs_delivery")
    assert list(delivered) == [in_scope]  # the untagged default VPC and `outside` are not
    assert (delivered[in_scope].action, delivered[in_scope].reason) == (
        Action.REMEDIATED,
        "no flow log",
    )
    assert writes(sandbox, scratch_account, since) == [
        "ec2:CreateFlowLogs",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
    ]
    (made,) = await _flow_logs(layer, scratch_account)
    assert made["ResourceId"] == in_scope
    assert (made["LogGroupName"], made["TrafficType"], made["DeliverLogsStatus"]) == (
        GROUP,
        "REJECT",
        "SUCCESS",
    )
    assert made["DeliverLogsPermissionArn"].endswith(f":role/gdpr-operator/{ROLE_NAME}")
    assert {tag["Key"]: tag["Value"] for tag in made["Tags"]} == OWN_TAGS
    iam = Target(scratch_account, GLOBAL_REGION)
    trust = (await layer.call(iam, "iam", "get_role", RoleName=ROLE_NAME))["Role"][
        "AssumeRolePolicyDocument"
    ]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": scratch_account.account_id}
    }
    policy = (
        await layer.call(
            iam, "iam", "get_role_policy", RoleName=ROLE_NAME, PolicyName=policy_name(GROUP)
        )
    )["PolicyDocument"]
    (allowed,) = (json.loads(policy) if isinstance(policy, str) else policy)["Statement"]
    assert all(":log-group:/gdpr/web/vpc-flow-logs" in arn for arn in allowed["Resource"])

    since = time.time()
    again = await _pass(layer, monitoring, scratch_account)
    assert writes(sandbox, scratch_account, since) == []
    assert all(result.compliant and result.action is Action.NONE for result in again), again
    assert _by_check(again, "vpc.flow_logs_delivery")[in_scope].reason == (
        f"flow log {made['FlowLogId']} delivers to {GROUP}"
    )


async def test_observe_reports_what_it_would_do_and_writes_nothing(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    since = time.time()
    results = await _pass(layer, _spec(scratch_account, "Observe"), scratch_account)
    assert writes(sandbox, scratch_account, since) == []
    assert results
    assert all(
        not result.compliant and result.action is Action.WOULD_REMEDIATE for result in results
    ), results
    assert _by_check(results, "iam.flow_logs_role")[""].reason == f"role {ROLE_NAME} does not exist"


async def test_a_working_flow_log_of_someone_else_s_is_left_alone_and_none_is_made(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)
    vpc = await _vpc(layer, scratch_account, team="net")
    await layer.call(target, "logs", "create_log_group", logGroupName="/net/flows")
    theirs = await _their_flow_log(layer, target, vpc, "ALL", "/net/flows")
    monitoring = _spec(scratch_account, selector={"tags": {"team": "net"}})
    result = _by_check(await _pass(layer, monitoring, scratch_account), "vpc.flow_logs_delivery")[
        vpc
    ]
    assert (result.compliant, result.action) == (True, Action.NONE)
    assert result.reason == (
        f"flow log {theirs} (not the operator's) delivers: left as it is, none created"
    )
    assert [log["FlowLogId"] for log in await _flow_logs(layer, scratch_account)] == [theirs]

    since = time.time()
    released = await LOGS.release(context(layer, monitoring), target)
    assert not released.released
    assert writes(sandbox, scratch_account, since) == []
    assert [log["FlowLogId"] for log in await _flow_logs(layer, scratch_account)] == [theirs]


async def test_a_role_of_that_name_not_the_operator_s_is_left_alone(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    iam = Target(scratch_account, GLOBAL_REGION)
    trust = {"Version": "2012-10-17", "Statement": []}
    await layer.call(
        iam, "iam", "create_role", RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust)
    )
    monitoring = _spec(scratch_account)
    since = time.time()
    results = await _pass(layer, monitoring, scratch_account)
    role = _by_check(results, "iam.flow_logs_role")[ROLE_NAME]
    assert (role.compliant, role.action) == (False, Action.NONE)
    assert "is not the operator's" in role.reason
    delivery = _by_check(results, "vpc.flow_logs_delivery")
    assert delivery
    assert all(
        not r.compliant and r.action is Action.NONE and "is not the operator's" in r.reason
        for r in delivery.values()
    ), delivery
    # The group is the spec's to keep whoever's the role is; nothing touches the role.
    assert writes(sandbox, scratch_account, since) == [
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
    ]
    assert await _flow_logs(layer, scratch_account) == []
    released = await ROLE.release(context(layer, monitoring), iam)
    assert not released.released
    assert (await layer.call(iam, "iam", "get_role", RoleName=ROLE_NAME))["Role"]["Path"] == "/"


async def test_a_deleted_flow_log_is_made_again_at_the_next_pass(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    vpc = await _vpc(layer, scratch_account, drift="yes")
    monitoring = _spec(scratch_account, selector={"tags": {"drift": "yes"}})
    await _pass(layer, monitoring, scratch_account)
    (made,) = await _flow_logs(layer, scratch_account)
    await layer.call(
        Target(scratch_account, REGION), "ec2", "delete_flow_logs", FlowLogIds=[made["FlowLogId"]]
    )
    since = time.time()
    result = _by_check(await _pass(layer, monitoring, scratch_account), "vpc.flow_logs_delivery")[
        vpc
    ]
    assert (result.compliant, result.action, result.reason) == (
        False,
        Action.REMEDIATED,
        "no flow log",
    )
    assert writes(sandbox, scratch_account, since) == ["ec2:CreateFlowLogs"]
    (again,) = await _flow_logs(layer, scratch_account)
    assert again["FlowLogId"] != made["FlowLogId"]
    assert again["ResourceId"] == vpc


async def test_release_keeps_them_for_another_enforce_monitoring_then_removes_only_its_own(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target, iam = Target(scratch_account, REGION), Target(scratch_account, GLOBAL_REGION)
    vpc = await _vpc(layer, scratch_account, gone="soon")
    # Someone else's, FAILED (its group is missing), so the operator adds its own.
    theirs = await _their_flow_log(layer, target, vpc, "REJECT", "/net/missing")
    monitoring = _spec(scratch_account, selector={"tags": {"gone": "soon"}})
    results = await _pass(layer, monitoring, scratch_account)
    assert _by_check(results, "vpc.flow_logs_delivery")[vpc].reason == (
        f"flow log {theirs} cannot deliver: Access error"
    )
    own = [log["FlowLogId"] for log in await _flow_logs(layer, scratch_account) if log.get("Tags")]
    assert len(own) == 1

    other = Declaration("other/web", frozenset({scratch_account.account_id}), monitoring)
    sharing: Context = dataclasses.replace(context(layer, monitoring), others=(other,))
    kept = [await LOGS.release(sharing, target), await ROLE.release(sharing, iam)]
    assert [(list(r.released), len(r.kept)) for r in kept] == [([], 1), ([], 1)]

    observing = dataclasses.replace(
        other, spec=_spec(scratch_account, "Observe", selector={"tags": {"gone": "soon"}})
    )
    alone = dataclasses.replace(context(layer, monitoring), others=(observing,))
    released = [await LOGS.release(alone, target), await ROLE.release(alone, iam)]
    assert [list(r.released) for r in released] == [
        [f"flow log(s) {own[0]} in {target}"],
        [f"flow logs role {ROLE_NAME} in {scratch_account.name}"],
    ]
    assert [log["FlowLogId"] for log in await _flow_logs(layer, scratch_account)] == [theirs]
    roles = (await layer.call(iam, "iam", "list_roles", PathPrefix="/gdpr-operator/"))["Roles"]
    assert ROLE_NAME not in [role["RoleName"] for role in roles]
    groups = (await layer.call(target, "logs", "describe_log_groups", logGroupNamePrefix=GROUP))[
        "logGroups"
    ]
    assert [group["logGroupName"] for group in groups] == [GROUP]  # the evidence stays


async def test_with_the_audit_check_a_pass_reads_the_region_s_vpcs_and_flow_logs_once(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, REGION)

    def reads() -> dict[str, int]:
        counts = {"DescribeVpcs": 0, "DescribeFlowLogs": 0}
        for call in sandbox.calls():
            if call["account"] == scratch_account.account_id and call["operation"] in counts:
                counts[call["operation"]] += call["count"]
        return counts

    async def one_pass(monitoring: MonitoringSpec) -> dict[str, int]:
        ctx = context(layer, monitoring)
        sandbox.clear_calls()
        await asyncio.gather(LOGS.reconcile(ctx, target), VpcFlowLogs().reconcile(ctx, target))
        return reads()

    def observing(**flow_logs: Any) -> MonitoringSpec:
        return spec(
            [scratch_account.name],
            [REGION],
            logs={"groupPrefix": "/gdpr/web", "retentionDays": 90},
            flowLogs=flow_logs,
            auditChecks=["vpc.flow_logs"],
        )

    assert await one_pass(observing()) == {"DescribeVpcs": 1, "DescribeFlowLogs": 1}
    # A selector is EC2's tag filter: another DescribeVpcs than the audit's unfiltered one.
    selected = observing(selector={"tags": {"a": "b"}})
    assert await one_pass(selected) == {"DescribeVpcs": 2, "DescribeFlowLogs": 1}
