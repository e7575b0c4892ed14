"""AWS faults through the operator. Each scenario switches its fault on before the operator
first acts, sees it in a condition and in gdpr_aws_api_calls_total while it lasts, lifts it,
and then expects convergence with nothing duplicated and a deletion that completes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.sandbox import SandboxControl

from fixtures.cluster import Kubectl, conditions_of
from fixtures.faults import (
    REGIONS,
    api_calls,
    apply_fault_estate,
    assert_converged_without_duplicates,
    assert_deletion_not_stuck,
    launch_estate,
    wait_for_condition,
)
from fixtures.operator import AWS_READ_TIMEOUT_SECONDS, OperatorProcess

pytestmark = pytest.mark.e2e

REGIONAL_SERVICES = ("ec2", "ssm", "guardduty", "logs")
FAULTED_REGION = REGIONS[1]
HEALTHY_REGION = REGIONS[0]


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    inject: Callable[[SandboxControl, str], None]
    """Switches the fault on for an account."""
    condition: str
    reason: str
    naming: str
    """What the condition's message must name (a region, an IAM action)."""
    outcome: str
    """The gdpr_aws_api_calls_total outcome that rises while the fault lasts."""


def _every_service(fault: str) -> Callable[[SandboxControl, str], None]:
    def inject(sandbox: SandboxControl, account: str) -> None:
        for service in (*REGIONAL_SERVICES, "iam"):
            sandbox.add_fault(service, fault, account=account)

    return inject


def _server_errors_in_one_region(sandbox: SandboxControl, account: str) -> None:
    for service in REGIONAL_SERVICES:
        sandbox.add_fault(service, "server_error", account=account, region=FAULTED_REGION)


def _timeouts(sandbox: SandboxControl, account: str) -> None:
    # Every attempt of the first pass's call times out; the fault then runs out.
    sandbox.add_fault(
        "guardduty",
        "latency",
        operation="ListDetectors",
        account=account,
        region=FAULTED_REGION,
        count=4,
        latency_ms=int(AWS_READ_TIMEOUT_SECONDS * 1000) + 1500,
    )


def _create_detector_denied(sandbox: SandboxControl, account: str) -> None:
    sandbox.add_fault("guardduty", "access_denied", operation="CreateDetector", account=account)


SCENARIOS = [
    Scenario(
        "throttling storm", _every_service("throttle"), "Synced", "Throttled", "", "throttled"
    ),
    Scenario(
        "5xx in one region",
        _server_errors_in_one_region,
        "Synced",
        "AwsServiceError",
        FAULTED_REGION,
        "error",
    ),
    Scenario("timeouts", _timeouts, "GuardDuty", "AwsUnreachable", FAULTED_REGION, "error"),
    # Reads succeed, so the checks are evaluated: failing, their repair refused.
    Scenario(
        "AccessDenied for one action",
        _create_detector_denied,
        "GuardDuty",
        "ChecksFailing",
        "repair failed: AccessDenied: ",
        "error",
    ),
    Scenario(
        "credentials expired for good",
        _every_service("expired_token"),
        "Synced",
        "CredentialsExpired",
        "",
        "error",
    ),
]


@pytest.fixture(params=SCENARIOS, ids=[s.name for s in SCENARIOS])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    chosen: Scenario = request.param
    return chosen


async def test_the_estate_converges_once_the_fault_is_gone(
    *,
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
    scenario: Scenario,
) -> None:
    instances = await launch_estate(layer, scratch_account)
    before = api_calls(operator, scenario.outcome)
    scenario.inject(sandbox, scratch_account.account_id)
    estate = apply_fault_estate(installed, scratch_account, instances)

    shown = wait_for_condition(
        installed, estate, scenario.condition, reason=scenario.reason, naming=scenario.naming
    )
    assert estate.namespace in shown["message"]  # the AwsAccount, named like its namespace
    if scenario.reason == "ChecksFailing":
        assert "not allowed guardduty:CreateDetector" in shown["message"]
    assert api_calls(operator, scenario.outcome) > before
    if scenario.naming == FAULTED_REGION:  # the other region went on meanwhile
        healthy = Target(scratch_account, HEALTHY_REGION)
        assert (await layer.call(healthy, "guardduty", "list_detectors"))["DetectorIds"]
    if scenario.condition != "Synced":  # the other components went on meanwhile
        assert conditions_of(installed, estate.namespace)["AgentRole"]["status"] == "True"

    sandbox.clear_faults()
    await assert_converged_without_duplicates(layer, installed, estate)
    assert_deletion_not_stuck(installed, estate)


async def test_credentials_expiring_mid_run_are_assumed_anew(
    operator: OperatorProcess,
    installed: Kubectl,
    scratch_account: AccountAccess,
    layer: Aws,
    sandbox: SandboxControl,
) -> None:
    # Slow the calls down so that the sessions expire while the first pass is under way.
    for service in ("ec2", "ssm", "logs"):
        sandbox.add_fault(service, "latency", account=scratch_account.account_id, latency_ms=150)
    instances = await launch_estate(layer, scratch_account)
    refused_before = api_calls(operator, "error")
    estate = apply_fault_estate(installed, scratch_account, instances)
    expired = 0
    for _ in range(6):
        await asyncio.sleep(1)
        expired += sandbox.expire_sessions(scratch_account.account_id)

    assert expired >= 2, "the operator must have assumed the role anew after an expiry"
    assert api_calls(operator, "error") > refused_before  # the refused attempts, counted
    sandbox.clear_faults()
    await assert_converged_without_duplicates(layer, installed, estate)
    assert_deletion_not_stuck(installed, estate)
