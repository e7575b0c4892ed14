"""Drift events through the operator, by kind, with AwsAccount events.mode Managed and
`resyncInterval: 1h` (only an event can bring a pass within a test): an instance launched
by another principal with the selector's tags gets the agent's profile and is targeted by
the agent's associations, a log group's retention changed is set back, a managed policy
detached from the agent's role is attached again (IAM's events are on the us-east-1 bus),
also when the GdprMonitoring covers another region only (the account's us-east-1 rule then
matches IAM's calls alone), each with a DriftDetected Event naming who did it and the call;
and an event in an account brings a pass only in a namespace the account allows, none in
one it refuses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from gdpr_operator.aws import AccountAccess, Target
from gdpr_operator.reconcilers.drift_events import RULE_NAME
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.cluster import Kubectl, new_namespace, wait_for, wait_ready
from fixtures.drift_events import instance_profile, targeted_by_associations
from fixtures.estate import apply_estate, launch_request
from fixtures.operator import OperatorProcess
from fixtures.sandbox import new_scratch_account, sandbox_call

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
"""The estate's one region: IAM's events, as in AWS, are on the us-east-1 bus."""
TENANCY_REGION = "eu-west-1"
SETUP_SECONDS = 120.0
REPAIR_WITHIN_SECONDS = 30.0
"""Far below the hourly resync: only an event can have brought the pass."""
SELECTOR = {"gdpr-scope": "web", "team": "shop"}
PREFIX = "/gdpr/kinds"
RETENTION_DAYS = 90


@dataclass(frozen=True)
class Estate:
    namespace: str
    account: AccountAccess

    def target(self, region: str = REGION) -> Target:
        return Target(self.account, region)

    def alice(self, region: str = REGION) -> Target:
        return Target(other_principal(self.account.account_id, "alice"), region)

    @property
    def principal(self) -> str:
        return f"arn:aws:sts::{self.account.account_id}:assumed-role/Admin/alice"


def converged_estate(installed: Kubectl, sandbox_url: str, region: str, **spec: Any) -> Estate:
    """A fresh namespace and account, GdprMonitoring `web` (Enforce, `spec`, in `region`)
    converged, and the operator polling the account's queue."""
    estate = Estate(new_namespace(installed), new_scratch_account())
    apply_estate(
        installed,
        estate.namespace,
        estate.account,
        drift_events="Managed",
        managementPolicy="Enforce",
        resyncInterval="1h",
        regions=[region],
        **spec,
    )
    wait_ready(installed, estate.namespace, "True", timeout=SETUP_SECONDS)
    wait_for(
        "the operator polling its queue",
        lambda: SandboxControl(sandbox_url).call_count(
            "sqs", "ReceiveMessage", account=estate.account.account_id
        ),
        timeout=SETUP_SECONDS,
    )
    return estate


@pytest.fixture(scope="module")
def estate(operator: OperatorProcess, installed: Kubectl, sandbox_url: str) -> Estate:
    """Enforce: instances selected by SELECTOR, the agent and its log groups, in REGION."""
    return converged_estate(
        installed,
        sandbox_url,
        REGION,
        instances={"selector": {"tags": SELECTOR}},
        cloudWatchAgent={"presets": ["linux-system"]},
        logs={"groupPrefix": PREFIX, "retentionDays": RETENTION_DAYS},
    )


def drift_detected(installed: Kubectl, estate: Estate, call: str) -> list[str]:
    """The messages of the DriftDetected Events naming alice and `call`."""
    return [
        event["message"]
        for event in installed.events(estate.namespace, "web")
        if event["reason"] == "DriftDetected"
        and estate.principal in event["message"]
        and f"({call} at " in event["message"]
    ]


def test_an_instance_launched_by_another_principal_is_profiled_and_targeted(
    installed: Kubectl, sandbox_url: str, estate: Estate
) -> None:
    reply = sandbox_call(
        sandbox_url,
        estate.alice(),
        "ec2",
        "run_instances",
        **launch_request(SELECTOR),
    )
    instance_id: str = reply["Instances"][0]["InstanceId"]
    wait_for(
        f"{instance_id} given the agent's profile",
        lambda: instance_profile(sandbox_url, estate.target(), instance_id),
        timeout=REPAIR_WITHIN_SECONDS,
    )
    wait_for(
        f"{instance_id} targeted by every association of the agent",
        lambda: targeted_by_associations(sandbox_url, estate.target(), instance_id),
        timeout=REPAIR_WITHIN_SECONDS,
    )
    (message, *_) = wait_for(
        "the DriftDetected Event naming alice and RunInstances",
        lambda: drift_detected(installed, estate, "RunInstances"),
        timeout=REPAIR_WITHIN_SECONDS,
    )
    assert f"InstanceProfiles in {estate.namespace}/{REGION}: " in message
    assert f"ec2.instance_profile_attached {instance_id}: " in message


def test_a_retention_changed_by_another_principal_is_set_back_and_named(
    installed: Kubectl, sandbox_url: str, estate: Estate
) -> None:
    groups = sandbox_call(
        sandbox_url, estate.target(), "logs", "describe_log_groups", logGroupNamePrefix=PREFIX
    )["logGroups"]
    group: str = groups[0]["logGroupName"]

    def retention() -> Any:
        reply = sandbox_call(
            sandbox_url, estate.target(), "logs", "describe_log_groups", logGroupNamePrefix=group
        )
        return reply["logGroups"][0].get("retentionInDays")

    assert retention() == RETENTION_DAYS
    sandbox_call(
        sandbox_url,
        estate.alice(),
        "logs",
        "put_retention_policy",
        logGroupName=group,
        retentionInDays=7,
    )
    wait_for(
        f"{group} at {RETENTION_DAYS} days again",
        lambda: retention() == RETENTION_DAYS,
        timeout=REPAIR_WITHIN_SECONDS,
    )
    (message, *_) = wait_for(
        "the DriftDetected Event naming alice and PutRetentionPolicy",
        lambda: drift_detected(installed, estate, "PutRetentionPolicy"),
        timeout=REPAIR_WITHIN_SECONDS,
    )
    # The retention repaired; the pass may also report logs yet to arrive from an instance
    # just launched (the Event then names that as not repaired).
    assert f"LogGroups in {estate.namespace}/{REGION}: logs.retention {group}: " in message


def detached_policy_repaired(installed: Kubectl, sandbox_url: str, estate: Estate) -> str:
    """Alice detaches a managed policy from the agent's role (an IAM call: its event is on
    the us-east-1 bus); waits for the policy attached again and for the DriftDetected Event
    naming her and the call, each within REPAIR_WITHIN_SECONDS; returns the Event's message."""
    (role,) = sandbox_call(
        sandbox_url, estate.target(), "iam", "list_roles", PathPrefix="/gdpr-operator/"
    )["Roles"]

    def attached() -> list[str]:
        reply = sandbox_call(
            sandbox_url,
            estate.target(),
            "iam",
            "list_attached_role_policies",
            RoleName=role["RoleName"],
        )
        return sorted(policy["PolicyArn"] for policy in reply["AttachedPolicies"])

    policies = attached()
    assert len(policies) >= 2, policies
    sandbox_call(
        sandbox_url,
        estate.alice(),
        "iam",
        "detach_role_policy",
        RoleName=role["RoleName"],
        PolicyArn=policies[0],
    )
    wait_for(
        f"{policies[0]} attached to {role['RoleName']} again",
        lambda: attached() == policies,
        timeout=REPAIR_WITHIN_SECONDS,
    )
    (message, *_) = wait_for(
        "the DriftDetected Event naming alice and DetachRolePolicy",
        lambda: drift_detected(installed, estate, "DetachRolePolicy"),
        timeout=REPAIR_WITHIN_SECONDS,
    )
    assert f"AgentRole in {estate.namespace}/global: " in message
    assert "; repaired " in message
    return message


def test_a_policy_detached_from_the_agent_s_role_is_attached_again_and_named(
    operator: OperatorProcess, installed: Kubectl, sandbox_url: str, estate: Estate
) -> None:
    log_before = len(operator.log.read_text())
    detached_policy_repaired(installed, sandbox_url, estate)
    # The pass ran what reads the role too (knock-on), in the region covered, and no more.
    ns = estate.namespace
    passes = re.findall(
        rf"Pass over {ns}/web \(\S+\) targeted: (.*)", operator.log.read_text()[log_before:]
    )
    assert {
        f"AgentRole in {ns}/global",
        f"InstanceProfiles in {ns}/{REGION}",
        f"CloudWatchAgent in {ns}/{REGION}",
        f"LogGroups in {ns}/{REGION}",
    } in [set(ran.split(", ")) for ran in passes], passes


def rule_pattern(sandbox_url: str, target: Target) -> dict[str, Any]:
    """The event pattern of the operator's rule in `target`, as EventBridge holds it."""
    rule = sandbox_call(sandbox_url, target, "events", "describe_rule", Name=RULE_NAME)
    pattern: dict[str, Any] = json.loads(rule["EventPattern"])
    return pattern


def test_an_iam_change_comes_through_us_east_1_when_only_another_region_is_covered(
    operator: OperatorProcess, installed: Kubectl, sandbox_url: str
) -> None:
    """The GdprMonitoring covers TENANCY_REGION alone: the account still gets the plumbing
    in us-east-1, its rule matching IAM's calls and nothing else, so a policy detached from
    the agent's role is repaired by the pass its event brings, not at the hourly resync."""
    estate = converged_estate(
        installed, sandbox_url, TENANCY_REGION, instances={"selector": {"tags": SELECTOR}}
    )
    iam_rule = rule_pattern(sandbox_url, estate.target(REGION))
    assert iam_rule["source"] == ["aws.iam"], iam_rule
    assert iam_rule["detail"]["eventSource"] == ["iam.amazonaws.com"], iam_rule
    assert "DetachRolePolicy" in iam_rule["detail"]["eventName"], iam_rule
    covered_rule = rule_pattern(sandbox_url, estate.target(TENANCY_REGION))
    assert {"aws.iam", "aws.guardduty"} <= {
        source for part in covered_rule["$or"] for source in part["source"]
    }, covered_rule
    wait_for(
        "the operator polling its us-east-1 queue",
        lambda: SandboxControl(sandbox_url).call_count(
            "sqs", "ReceiveMessage", account=estate.account.account_id, region=REGION
        ),
        timeout=SETUP_SECONDS,
    )
    log_before = len(operator.log.read_text())

    detached_policy_repaired(installed, sandbox_url, estate)
    log = operator.log.read_text()[log_before:]
    assert f"drift events for {estate.namespace}/web: reconciling now" in log


def _refused_monitoring(installed: Kubectl, namespace: str, account: str) -> None:
    """GdprMonitoring `namespace/web` on AwsAccount `account`, which does not allow it."""
    installed.apply(
        yaml.safe_dump(
            {
                "apiVersion": "monitoring.gdpr.io/v1alpha1",
                "kind": "GdprMonitoring",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {
                    "accounts": [account],
                    "regions": [TENANCY_REGION],
                    "auditChecks": [],
                    "managementPolicy": "Enforce",
                    "resyncInterval": "1h",
                },
            }
        )
    )


def test_an_event_brings_a_pass_only_in_the_namespace_the_account_allows(
    operator: OperatorProcess, installed: Kubectl, sandbox_url: str
) -> None:
    allowed = converged_estate(installed, sandbox_url, TENANCY_REGION)
    refused = new_namespace(installed)
    _refused_monitoring(installed, refused, allowed.namespace)
    conditions = wait_ready(installed, refused, "False", timeout=SETUP_SECONDS)
    assert conditions["Ready"]["reason"] == "AccountNotBound", conditions["Ready"]
    status_before = installed.get("gdprmonitoring", "web", refused)["status"]
    log_before = len(operator.log.read_text())
    target = allowed.target(TENANCY_REGION)
    (detector,) = sandbox_call(sandbox_url, target, "guardduty", "list_detectors")["DetectorIds"]

    sandbox_call(
        sandbox_url,
        allowed.alice(TENANCY_REGION),
        "guardduty",
        "update_detector",
        DetectorId=detector,
        Enable=False,
    )
    wait_for(
        "the DriftDetected Event naming alice and UpdateDetector",
        lambda: drift_detected(installed, allowed, "UpdateDetector"),
        timeout=REPAIR_WITHIN_SECONDS,
    )
    detector_now = sandbox_call(
        sandbox_url, target, "guardduty", "get_detector", DetectorId=detector
    )
    assert detector_now["Status"] == "ENABLED"
    log = operator.log.read_text()[log_before:]
    assert f"drift events for {allowed.namespace}/web: reconciling now" in log
    assert f"{refused}/web" not in log, [line for line in log.splitlines() if refused in line]
    assert installed.get("gdprmonitoring", "web", refused)["status"] == status_before
    assert not [e for e in installed.events(refused, "web") if e["reason"] == "DriftDetected"]
