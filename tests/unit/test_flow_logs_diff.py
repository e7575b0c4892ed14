"""Flow logs as declared, pure: a VPC's verdict and repair, the delivery role's documents,
problems and repair, the flow log group's problems."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from gdpr_operator.model import LogsSpec, parse_monitoring
from gdpr_operator.reconcilers._delta import Delta
from gdpr_operator.reconcilers._service_roles import ServiceRole
from gdpr_operator.reconcilers._vpcs import FlowLog
from gdpr_operator.reconcilers.flow_logs._checks import DELIVERY
from gdpr_operator.reconcilers.flow_logs._diff import (
    Declared,
    group_name,
    group_problem,
    vpc_delta,
    vpc_deltas,
)
from gdpr_operator.reconcilers.flow_logs._role import (
    delivery_policy,
    policy_name,
    role_arn,
    role_not_owned,
    role_problem,
    role_repair,
    trust_policy,
)
from gdpr_operator.reconcilers.log_groups import LogGroup

ACCOUNT = "111111111111"
GROUP = "/gdpr/vpc-flow-logs"
DECLARED = Declared(GROUP, role_arn(ACCOUNT), "ALL")
OWN = {"gdpr-operator:managed-by": "gdpr-operator", "gdpr-operator:owner": "security/web"}
LOGS = LogsSpec("/gdpr", 90, None, 900.0)


def _problem(delta: Delta) -> str | None:
    return delta.problems[DELIVERY]


def _replaced(delta: Delta) -> tuple[str, ...]:
    """The operator's flow logs the repair deletes before it creates one as declared."""
    return tuple(
        log_id
        for call in delta.calls
        if call.operation == "delete_flow_logs"
        for log_id in call.params["FlowLogIds"]
    )


def _plan(vpc_id: str, flow_logs: list[FlowLog], declared: Declared) -> Delta:
    return vpc_delta(vpc_id, flow_logs, declared, OWN)


def _own() -> FlowLog:
    return FlowLog("fl-own", "vpc-1", True, None, OWN, group=GROUP, role_arn=DECLARED.role_arn)


def _theirs(error: str | None = None) -> FlowLog:
    return FlowLog("fl-theirs", "vpc-1", True, error, group="/net", traffic_type="REJECT")


def test_the_spec_parses_flow_logs_with_defaults_and_absent_is_none() -> None:
    absent = parse_monitoring({"accounts": ["a"], "regions": ["eu-west-1"]})
    assert absent.flow_logs is None
    asked = parse_monitoring(
        {
            "accounts": ["a"],
            "regions": ["eu-west-1"],
            "flowLogs": {"selector": {"tags": {"k": "v"}}},
        }
    )
    assert asked.flow_logs is not None
    assert (dict(asked.flow_logs.selector_tags), asked.flow_logs.traffic_type) == (
        {"k": "v"},
        "ALL",
    )
    assert group_name(asked.logs) == "/gdpr/vpc-flow-logs"


def test_a_vpc_without_flow_logs_gets_one() -> None:
    assert _problem(_plan("vpc-1", [], DECLARED)) == "no flow log"


def test_the_operator_s_flow_log_as_declared_is_compliant() -> None:
    plan = _plan("vpc-1", [_own()], DECLARED)
    assert (_problem(plan), plan.note, _replaced(plan)) == (
        None,
        f"flow log fl-own delivers to {GROUP}",
        (),
    )


def test_someone_else_s_working_flow_log_is_enough_and_is_never_replaced() -> None:
    plan = _plan("vpc-1", [_theirs()], DECLARED)
    assert _problem(plan) is None
    assert (
        plan.note == "flow log fl-theirs (not the operator's) delivers: left as it is, none created"
    )
    assert _replaced(plan) == ()


def test_someone_else_s_broken_flow_log_is_reported_and_the_operator_adds_its_own() -> None:
    plan = _plan("vpc-1", [_theirs("Access error")], DECLARED)
    assert _problem(plan) == "flow log fl-theirs cannot deliver: Access error"
    assert _replaced(plan) == ()


@pytest.mark.parametrize(
    ("fields", "wrong"),
    [
        ({"traffic_type": "ACCEPT"}, "ACCEPT"),
        ({"group": "/elsewhere"}, "/elsewhere"),
        ({"role_arn": "arn:aws:iam::1:role/x"}, "arn:aws:iam::1:role/x"),
        ({"active": False}, "is not ACTIVE"),
        ({"delivery_error": "Access error"}, "cannot deliver: Access error"),
    ],
)
def test_the_operator_s_flow_log_not_as_declared_is_replaced(
    fields: dict[str, Any], wrong: str
) -> None:
    plan = _plan("vpc-1", [dataclasses.replace(_own(), **fields)], DECLARED)
    assert _problem(plan) is not None
    assert wrong in _problem(plan)
    assert _replaced(plan) == ("fl-own",)


def test_only_a_vpc_s_own_flow_logs_count_and_plans_come_in_vpc_order() -> None:
    subnet = FlowLog("fl-subnet", "subnet-1", True, None)
    plans = vpc_deltas(["vpc-2", "vpc-1"], [subnet, _own()], DECLARED, OWN)
    assert [(plan.resource, _problem(plan)) for plan in plans] == [
        ("vpc-1", None),
        ("vpc-2", "no flow log"),
    ]


def test_the_flow_log_api_shape_is_read_with_tags_and_destination() -> None:
    item = {
        "FlowLogId": "fl-1",
        "ResourceId": "vpc-1",
        "FlowLogStatus": "ACTIVE",
        "DeliverLogsStatus": "SUCCESS",
        "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": GROUP,
        "DeliverLogsPermissionArn": DECLARED.role_arn,
        "TrafficType": "ALL",
        "Tags": [{"Key": k, "Value": v} for k, v in OWN.items()],
    }
    assert _problem(_plan("vpc-1", [FlowLog.from_api(item)], DECLARED)) is None


def _role(**fields: Any) -> ServiceRole:
    declared = ServiceRole(
        "/gdpr-operator/", OWN, trust_policy(ACCOUNT), delivery_policy(ACCOUNT, GROUP)
    )
    return dataclasses.replace(declared, **fields)


def test_the_role_trusts_vpc_flow_logs_of_this_account_and_writes_only_the_group() -> None:
    (trust,) = trust_policy(ACCOUNT)["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    (allowed,) = delivery_policy(ACCOUNT, GROUP)["Statement"]
    assert sorted(allowed["Action"]) == [
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
    ]
    assert allowed["Resource"] == [
        f"arn:aws:logs:*:{ACCOUNT}:log-group:{GROUP}",
        f"arn:aws:logs:*:{ACCOUNT}:log-group:{GROUP}:*",
    ]


def test_a_missing_role_is_created_tagged_under_the_path_with_its_policy() -> None:
    assert role_problem(None, ACCOUNT, GROUP) == "role gdpr-operator-flow-logs does not exist"
    calls = role_repair(None, ACCOUNT, GROUP, OWN)
    assert [call.operation for call in calls] == ["create_role", "put_role_policy"]
    created = calls[0].params
    assert (created["Path"], json.loads(created["AssumeRolePolicyDocument"])) == (
        "/gdpr-operator/",
        trust_policy(ACCOUNT),
    )
    assert created["Tags"] == [{"Key": k, "Value": v} for k, v in sorted(OWN.items())]
    assert calls[1].params["PolicyName"] == policy_name(GROUP)


def test_a_role_as_declared_needs_nothing() -> None:
    assert role_problem(_role(), ACCOUNT, GROUP) is None
    assert role_repair(_role(), ACCOUNT, GROUP, OWN) == ()


def test_drift_of_the_trust_or_the_policy_is_repaired_by_that_call_only() -> None:
    drifted = _role(trust={"Version": "2012-10-17", "Statement": []}, policy=None)
    problem = role_problem(drifted, ACCOUNT, GROUP)
    assert problem is not None
    assert "does not trust vpc-flow-logs.amazonaws.com" in problem
    assert "does not allow delivery to /gdpr/vpc-flow-logs" in problem
    assert [call.operation for call in role_repair(drifted, ACCOUNT, GROUP, OWN)] == [
        "update_assume_role_policy",
        "put_role_policy",
    ]


@pytest.mark.parametrize("role", [_role(path="/"), _role(tags={})])
def test_a_role_not_under_the_path_with_the_tag_is_not_the_operator_s(role: ServiceRole) -> None:
    assert role_not_owned(role) is not None
    assert role_repair(role, ACCOUNT, GROUP, OWN) == ()


def test_each_group_has_its_own_stable_policy_name() -> None:
    assert policy_name(GROUP) == policy_name(GROUP)
    assert policy_name(GROUP) != policy_name("/gdpr-vpc/flow-logs")
    assert len(policy_name(GROUP)) <= 128


def test_the_group_is_kept_at_the_spec_s_retention_and_key() -> None:
    assert group_problem(LOGS, None) == "the log group does not exist"
    assert group_problem(LOGS, LogGroup(GROUP, 90, None)) is None
    keyed = LogsSpec("/gdpr", 90, "arn:aws:kms:eu-west-1:1:key/k", 900.0)
    problem = group_problem(keyed, LogGroup(GROUP, None, None))
    assert problem is not None
    assert "never expire" in problem
    assert "not encrypted" in problem
