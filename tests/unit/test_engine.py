"""The engine's fan-out, with small in-test components standing in for the AWS ones."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from gdpr_operator import engine
from gdpr_operator.engine import CredentialsUnavailableError
from gdpr_operator.model import (
    GLOBAL_REGION,
    AssumeRole,
    AwsAccountSpec,
    CheckInfo,
    CheckResult,
    MonitoringSpec,
    SecretRef,
    parse_monitoring,
)
from gdpr_operator.reconcilers import Target


@dataclass
class Recorder:
    component: str = "Recorder"
    global_scope: bool = False
    checks: Sequence[CheckInfo] = ()
    fail_in: str | None = None
    slow_in: str | None = None
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return True

    async def reconcile(self, target: Target, spec: MonitoringSpec) -> Sequence[CheckResult]:
        self.seen.append((target.account.name, target.region, target.external_id))
        if target.region == self.slow_in:
            await asyncio.sleep(0.2)
        if target.region == self.fail_in:
            raise TimeoutError("region unreachable")
        return [CheckResult("x.check", target.account.name, target.region, "r", True, "ok")]


def _accounts(namespace: str) -> dict[str, AwsAccountSpec]:
    role = AssumeRole("arn:aws:iam::222222222222:role/r", SecretRef("s", "k"), "gdpr", 900)
    return {
        "prod": AwsAccountSpec("prod", "111111111111", None, frozenset({namespace})),
        "shop": AwsAccountSpec("shop", "222222222222", role, frozenset({namespace})),
    }


async def _read_secret(ref: SecretRef) -> str:
    return f"external-id-of-{ref.name}"


def _spec(accounts: list[str], regions: list[str]) -> MonitoringSpec:
    return parse_monitoring({"accounts": accounts, "regions": regions})


async def test_every_account_region_runs_and_global_components_once_per_account() -> None:
    regional, global_ = Recorder(), Recorder(component="Iam", global_scope=True)
    outcome = await engine.reconcile("sec", _spec(["prod", "shop"], ["eu-west-1", "eu-north-1"]),
                                     _accounts("sec").get, _read_secret, [regional, global_])
    assert sorted(regional.seen) == [
        ("prod", "eu-north-1", None), ("prod", "eu-west-1", None),
        ("shop", "eu-north-1", "external-id-of-s"), ("shop", "eu-west-1", "external-id-of-s")]
    assert sorted(global_.seen) == [
        ("prod", GLOBAL_REGION, None), ("shop", GLOBAL_REGION, "external-id-of-s")]
    assert len(outcome.results) == 6
    assert outcome.errors == ()
    assert sorted(outcome.targets) == [("prod", "eu-north-1"), ("prod", "eu-west-1"),
                                       ("shop", "eu-north-1"), ("shop", "eu-west-1")]


async def test_a_failing_region_becomes_an_error_and_the_others_complete() -> None:
    component = Recorder(fail_in="eu-north-1", slow_in="eu-west-1")
    outcome = await engine.reconcile("sec", _spec(["prod"], ["eu-west-1", "eu-north-1"]),
                                     _accounts("sec").get, _read_secret, [component])
    assert [(r.region, r.compliant) for r in outcome.results] == [("eu-west-1", True)]
    assert [(e.region, e.reason, e.message) for e in outcome.errors] == [
        ("eu-north-1", "InternalError", "region unreachable")]


async def test_refusal_runs_nothing() -> None:
    component = Recorder()
    outcome = await engine.reconcile("elsewhere", _spec(["prod"], ["eu-west-1"]),
                                     _accounts("sec").get, _read_secret, [component])
    assert outcome.refusal is not None
    assert outcome.refusal.reason == "AccountNotBound"
    assert component.seen == []


async def test_unreadable_credentials_stop_that_account_only() -> None:
    async def no_secret(ref: SecretRef) -> str:
        raise CredentialsUnavailableError(f"Secret gdpr-system/{ref.name} not found")

    component = Recorder()
    outcome = await engine.reconcile("sec", _spec(["prod", "shop"], ["eu-west-1"]),
                                     _accounts("sec").get, no_secret, [component])
    assert component.seen == [("prod", "eu-west-1", None)]
    assert [(e.account, e.reason) for e in outcome.errors] == [
        ("shop", "CredentialsUnavailable")]
