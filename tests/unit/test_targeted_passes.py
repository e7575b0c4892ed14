"""Targeted passes: the slices AWS change events name, a fan-out of those alone, and their
outcome merged into the last full one (in-test components stand in for the AWS ones)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gdpr_operator import engine
from gdpr_operator.aws import Aws, Target
from gdpr_operator.engine import CheckError, DriftCause, Outcome, Refusal, Request, Slice
from gdpr_operator.model import (
    GLOBAL_REGION,
    Action,
    AwsAccountSpec,
    CheckInfo,
    CheckResult,
    FindingCount,
    LogIngestion,
    MonitoringSpec,
    parse_monitoring,
)
from gdpr_operator.reconcilers import ComponentReport, Context

EU, NORTH = "eu-west-1", "eu-north-1"


@dataclass
class Component:
    component: str
    global_scope: bool = False
    applies: bool = True
    checks: Sequence[CheckInfo] = ()
    depends_on: frozenset[str] = frozenset()
    seen: list[tuple[str, str]] = field(default_factory=list)

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return self.applies

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        self.seen.append((target.account, target.region))
        check = f"{self.component.lower()}.check"
        return ComponentReport(
            results=[CheckResult(check, target.account, target.region, "r", True, "ok")]
        )

    async def release(self, context: Context, target: Target) -> ComponentReport:
        return ComponentReport()


async def _no_secret(ref: object) -> str:
    raise AssertionError("no account here assumes a role")


def _spec() -> MonitoringSpec:
    return parse_monitoring({"accounts": ["prod", "shop"], "regions": [EU, NORTH]})


def _request(only: frozenset[Slice] | None) -> Request:
    accounts = {
        name: AwsAccountSpec(name, account_id, None, frozenset({"sec"}))
        for name, account_id in (("prod", "111111111111"), ("shop", "222222222222"))
    }
    return Request("sec", "web", _spec(), accounts.get, _no_secret, Aws(), only=only)


async def test_a_targeted_pass_runs_only_its_slices_a_global_one_on_the_account() -> None:
    guardduty, logs, iam = Component("GuardDuty"), Component("LogGroups"), Component("Iam", True)
    only = frozenset({Slice("prod", EU, "GuardDuty"), Slice("shop", GLOBAL_REGION, "Iam")})
    outcome = await engine.reconcile(_request(only), [guardduty, logs, iam])
    assert guardduty.seen == [("prod", EU)]
    assert logs.seen == []
    assert iam.seen == [("shop", GLOBAL_REGION)]
    assert sorted((r.check, r.account, r.region) for r in outcome.results) == [
        ("guardduty.check", "prod", EU),
        ("iam.check", "shop", GLOBAL_REGION),
    ]
    assert outcome.errors == ()


async def test_a_targeted_pass_that_finds_nothing_is_no_error_of_its_own() -> None:
    guardduty = Component("GuardDuty")
    outcome = await engine.reconcile(_request(frozenset({Slice("prod", EU, "Other")})), [guardduty])
    assert guardduty.seen == []
    assert (outcome.results, outcome.errors) == ((), ())


async def test_without_slices_every_component_runs_everywhere() -> None:
    guardduty, iam = Component("GuardDuty"), Component("Iam", True)
    await engine.reconcile(_request(None), [guardduty, iam])
    assert len(guardduty.seen) == 4
    assert sorted(iam.seen) == [("prod", GLOBAL_REGION), ("shop", GLOBAL_REGION)]


def _cause(component: str, region: str = EU, account: str = "prod") -> DriftCause:
    return DriftCause(
        "111111111111",
        region,
        component,
        "arn:aws:sts::1:assumed-role/Admin/alice",
        "X",
        "",
        0.0,
        account=account,
    )


_TARGETS = (("prod", EU), ("prod", NORTH), ("shop", EU), ("shop", NORTH))
_COMPONENTS = [
    Component("GuardDuty"),
    Component("AgentRole", True),
    Component("Off", applies=False),
]


def _slices(
    *causes: DriftCause,
    previous: Outcome | None = None,
    components: Sequence[Component] = _COMPONENTS,
) -> frozenset[Slice] | None:
    return engine.slices_for(causes, _spec(), previous or Outcome(targets=_TARGETS), components)


def _depends(name: str, *on: str, account_wide: bool = False) -> Component:
    return Component(name, account_wide, depends_on=frozenset(on))


def test_causes_of_one_slice_are_one_slice_and_a_global_component_is_account_wide() -> None:
    assert _slices(
        _cause("GuardDuty"),
        _cause("GuardDuty"),
        _cause("GuardDuty", NORTH, "shop"),
        _cause("AgentRole", GLOBAL_REGION),
        _cause("AgentRole", EU),
    ) == frozenset(
        {
            Slice("prod", EU, "GuardDuty"),
            Slice("shop", NORTH, "GuardDuty"),
            Slice("prod", GLOBAL_REGION, "AgentRole"),
        }
    )


# Role (account-wide) <- Profiles <- Agent <- Logs, and Off (not applying) <- Role.
_CHAIN = [
    _depends("Logs", "Agent"),
    _depends("Agent", "Profiles"),
    _depends("Profiles", "Role"),
    _depends("Role", account_wide=True),
    Component("Off", applies=False, depends_on=frozenset({"Role"})),
    _depends("Unrelated"),
]


def test_a_regional_change_runs_its_dependents_in_its_region_only() -> None:
    assert _slices(_cause("Profiles", NORTH), components=_CHAIN) == frozenset(
        {Slice("prod", NORTH, name) for name in ("Profiles", "Agent", "Logs")}
    )
    # What a component depends on does not run with it: only what depends on it.
    assert _slices(_cause("Agent", EU, "shop"), components=_CHAIN) == frozenset(
        {Slice("shop", EU, "Agent"), Slice("shop", EU, "Logs")}
    )


def test_an_account_wide_change_runs_its_regional_dependents_in_every_covered_region() -> None:
    covered = Outcome(targets=(("prod", EU), ("prod", NORTH), ("shop", EU)))
    expected = {
        Slice("prod", GLOBAL_REGION, "Role"),
        *(Slice("prod", region, name) for region in (EU, NORTH) for name in ("Profiles", "Agent")),
        *(Slice("prod", region, "Logs") for region in (EU, NORTH)),
    }
    # Whichever region the event came from: IAM's changes concern the whole account.
    # (shop's regions, also covered, are another account's).
    for region in (GLOBAL_REGION, "us-east-1", EU):
        assert _slices(_cause("Role", region), previous=covered, components=_CHAIN) == expected


def test_past_an_account_wide_dependent_the_change_reaches_every_covered_region() -> None:
    components = [
        _depends("Vpc"),
        _depends("Role", "Vpc", account_wide=True),
        _depends("Logs", "Role"),
    ]
    assert _slices(_cause("Vpc", NORTH), components=components) == frozenset(
        {
            Slice("prod", NORTH, "Vpc"),
            Slice("prod", GLOBAL_REGION, "Role"),
            Slice("prod", EU, "Logs"),
            Slice("prod", NORTH, "Logs"),
        }
    )


def test_dependencies_in_a_cycle_run_each_component_once() -> None:
    components = [_depends("A", "B"), _depends("B", "A")]
    assert _slices(_cause("A"), components=components) == frozenset(
        {Slice("prod", EU, "A"), Slice("prod", EU, "B")}
    )


def test_a_cause_that_maps_to_no_covered_slice_of_an_applying_component_needs_a_full_pass() -> None:
    assert _slices() is None
    for cause in (
        _cause("Unknown"),
        _cause("Off"),
        _cause("GuardDuty", "us-east-1"),
        _cause("GuardDuty", GLOBAL_REGION),
        _cause("GuardDuty", account=""),
        _cause("GuardDuty", account="elsewhere"),
    ):
        assert _slices(_cause("GuardDuty", NORTH), cause) is None, cause
    refused = Outcome(refusal=Refusal("NotBound", "no"), targets=_TARGETS)
    assert _slices(_cause("GuardDuty"), previous=refused) is None
    # An account whose previous pass reached no region (its credentials failed).
    assert _slices(_cause("AgentRole"), previous=Outcome(targets=(("shop", EU),))) is None


def _result(
    check: str, account: str, region: str, *, compliant: bool = True, action: Action = Action.NONE
) -> CheckResult:
    return CheckResult(check, account, region, "r", compliant, "why", action)


_PREVIOUS = Outcome(
    results=(
        _result("gd.enabled", "prod", EU),
        _result("gd.enabled", "prod", NORTH, compliant=False, action=Action.REMEDIATED),
        _result("logs.retention", "prod", EU, compliant=False, action=Action.FAILED),
        _result("role.trust", "prod", GLOBAL_REGION),
        _result("role.attached", "prod", EU),
        _result("gd.enabled", "shop", EU),
    ),
    errors=(
        CheckError("prod", EU, "GuardDuty", "Throttling", "slow down"),
        CheckError("shop", EU, "LogGroups", "AccessDenied", "no"),
    ),
    targets=(("prod", EU), ("prod", NORTH), ("shop", EU)),
    findings=(FindingCount("prod", EU, "high", 3), FindingCount("prod", NORTH, "low", 1)),
    ingestion=(LogIngestion("prod", EU, "/app", 5.0),),
    denials=(),
    components=(
        ("GuardDuty", ("gd.enabled",)),
        ("LogGroups", ("logs.retention",)),
        ("AgentRole", ("role.trust", "role.attached")),
    ),
)


def test_a_merge_replaces_what_the_slices_found_and_keeps_the_rest() -> None:
    repaired = _result("gd.enabled", "prod", EU, compliant=False, action=Action.REMEDIATED)
    partial = Outcome(
        results=(repaired,),
        targets=(("prod", EU), ("prod", NORTH)),
        findings=(FindingCount("prod", EU, "high", 4),),
        components=(("GuardDuty", ("gd.enabled",)),),
    )
    merged = engine.merge_outcome(_PREVIOUS, partial, frozenset({Slice("prod", EU, "GuardDuty")}))
    assert set(merged.results) == {
        repaired,
        # What an earlier pass repaired stands repaired, and this pass did nothing there.
        _result("gd.enabled", "prod", NORTH),
        _result("logs.retention", "prod", EU, compliant=False, action=Action.FAILED),
        _result("role.trust", "prod", GLOBAL_REGION),
        _result("role.attached", "prod", EU),
        _result("gd.enabled", "shop", EU),
    }
    assert len(merged.results) == len(_PREVIOUS.results)
    # The slice's error is gone with its evidence; another component's stays.
    assert merged.errors == (CheckError("shop", EU, "LogGroups", "AccessDenied", "no"),)
    assert set(merged.findings) == {
        FindingCount("prod", EU, "high", 4),
        FindingCount("prod", NORTH, "low", 1),
    }
    assert merged.ingestion == _PREVIOUS.ingestion
    assert (merged.targets, merged.components) == (_PREVIOUS.targets, _PREVIOUS.components)


def test_a_global_slice_replaces_its_component_in_every_region_of_the_account() -> None:
    partial = Outcome(
        results=(_result("role.trust", "prod", GLOBAL_REGION, compliant=False),),
        errors=(CheckError("prod", GLOBAL_REGION, "AgentRole", "Throttling", "later"),),
        components=(("AgentRole", ("role.trust", "role.attached")),),
    )
    merged = engine.merge_outcome(
        _PREVIOUS, partial, frozenset({Slice("prod", GLOBAL_REGION, "AgentRole")})
    )
    roles = [r for r in merged.results if r.check.startswith("role.")]
    assert roles == [_result("role.trust", "prod", GLOBAL_REGION, compliant=False)]
    assert merged.errors[-1] == CheckError(
        "prod", GLOBAL_REGION, "AgentRole", "Throttling", "later"
    )
    assert merged.findings == _PREVIOUS.findings


def test_a_merge_of_a_log_groups_slice_replaces_its_ingestion() -> None:
    partial = Outcome(
        results=(_result("logs.retention", "prod", EU),),
        ingestion=(LogIngestion("prod", EU, "/app", 9.0),),
        components=(("LogGroups", ("logs.retention",)),),
    )
    merged = engine.merge_outcome(_PREVIOUS, partial, frozenset({Slice("prod", EU, "LogGroups")}))
    assert merged.ingestion == (LogIngestion("prod", EU, "/app", 9.0),)
    assert _result("logs.retention", "prod", EU) in merged.results
    assert merged.findings == _PREVIOUS.findings


def test_a_refused_targeted_pass_is_refused_as_a_whole() -> None:
    refused = Outcome(refusal=Refusal("NotBound", "unbound now"))
    assert engine.merge_outcome(
        _PREVIOUS, refused, frozenset({Slice("prod", EU, "GuardDuty")})
    ) == (refused)
