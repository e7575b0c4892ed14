"""Never compliant without evidence: a pass that checked nothing, or met something it did
not expect, says so in its errors (Synced=False, Ready=False, exit 2), whatever it was."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.engine import CredentialsUnavailableError, Outcome
from gdpr_operator.model import (
    GLOBAL_REGION,
    AssumeRole,
    AwsAccountSpec,
    CheckResult,
    MonitoringSpec,
    SecretRef,
    parse_monitoring,
)
from gdpr_operator.reconcilers import ComponentReport, Context
from gdpr_operator.report import status_update


@dataclass
class Counting:
    """A component that passes one check per target it runs in."""

    component: str = "Counting"
    global_scope: bool = False
    applies: bool = True
    checks: Sequence[object] = ()
    ran: list[str] = field(default_factory=list)

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return self.applies

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        self.ran.append(target.region)
        return ComponentReport(
            results=[CheckResult("x.check", target.account, target.region, "r", True, "ok")]
        )


class NoRegionsAws(Aws):
    """An endpoint whose DescribeRegions lists nothing (a partition, a broken proxy)."""

    async def regions(self, access: AccountAccess, requested: Sequence[str]) -> list[str]:
        return []


ACCOUNTS = {
    "prod": AwsAccountSpec("prod", "111111111111", None, frozenset({"sec"})),
    "shop": AwsAccountSpec(
        "shop",
        "222222222222",
        AssumeRole("arn:aws:iam::222222222222:role/r", SecretRef("s", "k"), "gdpr", 900),
        frozenset({"sec"}),
    ),
}


async def _external_id(ref: SecretRef) -> str:
    return "id"


def _request(
    regions: list[str], aws: Aws | None = None, read: engine.ExternalIdReader = _external_id
) -> engine.Request:
    spec = parse_monitoring({"accounts": ["prod", "shop"], "regions": regions})
    return engine.Request("sec", "web", spec, ACCOUNTS.get, read, aws or Aws())


def _ready(outcome: Outcome) -> dict[str, tuple[str, str]]:
    update = status_update({}, 1, outcome, "2026-01-01T00:00:00Z")
    assert not update.ready
    return {c["type"]: (c["status"], c["reason"]) for c in update.status["conditions"]}


async def test_no_enabled_region_is_an_error_not_a_compliant_pass() -> None:
    regional, account_wide = Counting(), Counting("CloudTrail", global_scope=True)
    outcome = await engine.reconcile(_request(["*"], NoRegionsAws()), [regional, account_wide])
    assert regional.ran == account_wide.ran == []
    assert [(e.account, e.region, e.reason) for e in outcome.errors] == [
        ("prod", GLOBAL_REGION, "NoRegions"),
        ("shop", GLOBAL_REGION, "NoRegions"),
    ]
    assert "DescribeRegions lists no enabled region in account prod" in outcome.errors[0].message
    conditions = _ready(outcome)
    assert conditions["Synced"] == ("False", "NoRegions")
    assert conditions["Compliant"] == ("Unknown", "ChecksNotEvaluated")
    assert conditions["Ready"] == ("False", "NoRegions")


async def test_a_spec_asking_for_no_component_checked_nothing() -> None:
    outcome = await engine.reconcile(_request(["eu-west-1"]), [Counting(applies=False)])
    assert {(e.account, e.reason) for e in outcome.errors} == {
        ("prod", "NothingChecked"),
        ("shop", "NothingChecked"),
    }
    assert _ready(outcome)["Synced"] == ("False", "NothingChecked")


@pytest.mark.parametrize(
    ("failure", "reason", "message"),
    [
        (
            CredentialsUnavailableError("Secret gdpr-system/s key 'k' is not UTF-8 text"),
            "CredentialsUnavailable",
            "Secret gdpr-system/s key 'k' is not UTF-8 text",
        ),
        (
            UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
            "InternalError",
            "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0",
        ),
        (TimeoutError("read timed out"), "InternalError", "TimeoutError: read timed out"),
    ],
)
async def test_whatever_reading_an_external_id_raises_ends_that_account_only(
    failure: Exception, reason: str, message: str
) -> None:
    async def failing(ref: SecretRef) -> str:
        raise failure

    component = Counting()
    outcome = await engine.reconcile(_request(["eu-west-1"], read=failing), [component])
    assert component.ran == ["eu-west-1"]  # prod, reached with the operator's own identity
    assert [(e.account, e.reason) for e in outcome.errors] == [("shop", reason)]
    assert outcome.errors[0].message.startswith(message)


async def test_a_pass_that_fails_as_a_whole_is_an_error_of_every_account() -> None:
    def broken_lookup(name: str) -> AwsAccountSpec | None:
        raise RuntimeError("index unavailable")

    spec = parse_monitoring({"accounts": ["prod", "shop"], "regions": ["eu-west-1"]})
    request = engine.Request("sec", "web", spec, broken_lookup, _external_id, Aws())
    outcome = await engine.reconcile(request, [Counting()])
    assert [(e.account, e.reason, e.message) for e in outcome.errors] == [
        ("prod", "InternalError", "RuntimeError: index unavailable"),
        ("shop", "InternalError", "RuntimeError: index unavailable"),
    ]
    assert _ready(outcome)["Ready"] == ("False", "InternalError")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"\xff\xfeid", "Secret s key 'k' is not UTF-8 text (byte 0xff at offset 0)"),
        (b"  \n", "Secret s key 'k' is empty"),
    ],
)
def test_an_external_id_is_utf8_text(value: bytes, message: str) -> None:
    assert engine.external_id(b" id-1\n", "Secret s key 'k'") == "id-1"
    with pytest.raises(
        CredentialsUnavailableError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        engine.external_id(value, "Secret s key 'k'")
