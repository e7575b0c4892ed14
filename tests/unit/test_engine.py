"""The engine's fan-out, with small in-test components standing in for the AWS ones."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pytest

from gdpr_operator import engine
from gdpr_operator.aws import AccessDeniedError, Aws, AwsSettings, Target
from gdpr_operator.engine import CredentialsUnavailableError, LiveMonitoring, Request
from gdpr_operator.model import (
    GLOBAL_REGION,
    AssumeRole,
    AwsAccountSpec,
    CheckInfo,
    CheckResult,
    DriftEventsMode,
    MonitoringSpec,
    SecretRef,
    parse_monitoring,
)
from gdpr_operator.reconcilers import ComponentReport, Context
from gdpr_operator.reconcilers._base import PassRead, PassReads
from gdpr_operator.reconcilers.drift_events import DriftEvents


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

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        self.seen.append((target.account, target.region, target.access.external_id))
        if target.region == self.slow_in:
            await asyncio.sleep(0.2)
        if target.region == self.fail_in:
            raise LookupError("region unreachable")
        return ComponentReport(
            results=[CheckResult("x.check", target.account, target.region, "r", True, "ok")]
        )

    async def release(self, context: Context, target: Target) -> ComponentReport:
        return ComponentReport(released=[f"thing in {target}"])


def _accounts(namespace: str) -> dict[str, AwsAccountSpec]:
    role = AssumeRole("arn:aws:iam::222222222222:role/r", SecretRef("s", "k"), "gdpr", 900)
    return {
        "prod": AwsAccountSpec("prod", "111111111111", None, frozenset({namespace})),
        "shop": AwsAccountSpec("shop", "222222222222", role, frozenset({namespace})),
    }


async def _read_secret(ref: SecretRef) -> str:
    return f"external-id-of-{ref.name}"


def _request(
    namespace: str,
    accounts: list[str],
    regions: list[str],
    read_secret: engine.ExternalIdReader = _read_secret,
) -> Request:
    # Explicit regions need no AWS call, and these components make none.
    return Request(
        namespace,
        "web",
        parse_monitoring({"accounts": accounts, "regions": regions}),
        _accounts("sec").get,
        read_secret,
        Aws(),
    )


async def test_every_account_region_runs_and_global_components_once_per_account() -> None:
    regional, global_ = Recorder(), Recorder(component="Iam", global_scope=True)
    outcome = await engine.reconcile(
        _request("sec", ["prod", "shop"], ["eu-west-1", "eu-north-1"]), [regional, global_]
    )
    assert sorted(regional.seen) == [
        ("prod", "eu-north-1", None),
        ("prod", "eu-west-1", None),
        ("shop", "eu-north-1", "external-id-of-s"),
        ("shop", "eu-west-1", "external-id-of-s"),
    ]
    assert sorted(global_.seen) == [
        ("prod", GLOBAL_REGION, None),
        ("shop", GLOBAL_REGION, "external-id-of-s"),
    ]
    assert len(outcome.results) == 6
    assert outcome.errors == ()
    assert sorted(outcome.targets) == [
        ("prod", "eu-north-1"),
        ("prod", "eu-west-1"),
        ("shop", "eu-north-1"),
        ("shop", "eu-west-1"),
    ]


async def test_a_failing_region_becomes_an_error_and_the_others_complete() -> None:
    component = Recorder(fail_in="eu-north-1", slow_in="eu-west-1")
    outcome = await engine.reconcile(
        _request("sec", ["prod"], ["eu-west-1", "eu-north-1"]), [component]
    )
    assert [(r.region, r.compliant) for r in outcome.results] == [("eu-west-1", True)]
    assert [(e.region, e.reason, e.message) for e in outcome.errors] == [
        ("eu-north-1", "InternalError", "LookupError: region unreachable")
    ]


async def test_an_aws_error_or_a_slow_region_is_an_error_of_that_region_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @dataclass
    class Denied(Recorder):
        async def reconcile(self, context: Context, target: Target) -> ComponentReport:
            if target.region == "eu-north-1":
                raise AccessDeniedError(
                    "not allowed",
                    service="guardduty",
                    operation="ListDetectors",
                    code="AccessDeniedException",
                    action="guardduty:ListDetectors",
                    principal=None,
                )
            return await super().reconcile(context, target)

    monkeypatch.setattr("gdpr_operator.engine._engine.TARGET_TIMEOUT_SECONDS", 0.05)
    outcome = await engine.reconcile(
        _request("sec", ["prod"], ["eu-west-1", "eu-north-1", "eu-central-1"]),
        [Denied(slow_in="eu-central-1")],
    )
    assert [(r.region, r.compliant) for r in outcome.results] == [("eu-west-1", True)]
    assert [(e.region, e.component, e.reason, e.message) for e in outcome.errors] == [
        ("eu-north-1", "Recorder", "AccessDenied", "not allowed"),
        ("eu-central-1", "Recorder", "Timeout", "no answer within 0.05s"),
    ]


async def test_refusal_runs_nothing() -> None:
    component = Recorder()
    outcome = await engine.reconcile(_request("elsewhere", ["prod"], ["eu-west-1"]), [component])
    assert outcome.refusal is not None
    assert outcome.refusal.reason == "AccountNotBound"
    assert component.seen == []


async def test_unreadable_credentials_stop_that_account_only() -> None:
    async def no_secret(ref: SecretRef) -> str:
        raise CredentialsUnavailableError(f"Secret gdpr-system/{ref.name} not found")

    component = Recorder()
    outcome = await engine.reconcile(
        _request("sec", ["prod", "shop"], ["eu-west-1"], no_secret), [component]
    )
    assert component.seen == [("prod", "eu-west-1", None)]
    assert [(e.account, e.reason) for e in outcome.errors] == [("shop", "CredentialsUnavailable")]


async def test_release_collects_what_each_component_removed() -> None:
    outcome = await engine.release(_request("sec", ["prod"], ["eu-west-1"]), [Recorder()])
    assert outcome.released == ("thing in prod/eu-west-1",)


async def test_pass_reads_read_each_key_once_however_many_ask() -> None:
    cache, reads, kind = PassReads(), [], PassRead[str, str]("test.upper")

    async def read(key: str) -> str:
        reads.append(key)
        await asyncio.sleep(0.01)
        return key.upper()

    got = await asyncio.gather(*(cache.once(kind, k, lambda k=k: read(k)) for k in "abab"))
    assert got == ["A", "B", "A", "B"]
    assert sorted(reads) == ["a", "b"]


async def test_account_wide_components_finish_before_regional_ones_start() -> None:
    order: list[str] = []

    @dataclass
    class Phased(Recorder):
        async def reconcile(self, context: Context, target: Target) -> ComponentReport:
            order.append(f"start {self.component}")
            await asyncio.sleep(0.05 if self.global_scope else 0)
            order.append(f"end {self.component}")
            return ComponentReport()

    await engine.reconcile(
        _request("sec", ["prod"], ["eu-west-1"]),
        [Phased(component="Regional"), Phased("Iam", global_scope=True)],
    )
    assert order == ["start Iam", "end Iam", "start Regional", "end Regional"]


@dataclass
class Unbinding(Recorder):
    """Withdraws the namespace from `accounts[name]` as it reconciles its first target."""

    accounts: dict[str, AwsAccountSpec] = field(default_factory=dict)

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        bound = self.accounts[target.account]
        self.accounts[target.account] = replace(bound, allowed_namespaces=frozenset({"other"}))
        return await super().reconcile(context, target)


async def test_targets_whose_turn_comes_after_the_account_was_unbound_do_nothing() -> None:
    accounts = _accounts("sec")
    spec = parse_monitoring(
        {"accounts": ["prod"], "regions": ["eu-west-1", "eu-north-1", "eu-south-1"]}
    )
    unbinding = Unbinding(accounts=accounts)

    outcome = await engine.reconcile(
        Request("sec", "web", spec, accounts.get, _read_secret, Aws()), [unbinding]
    )

    assert len(unbinding.seen) == 1  # the target already under way when it happened
    assert [error.reason for error in outcome.errors] == ["AccountNotBound"] * 2
    assert all("sec" in error.message for error in outcome.errors)


async def test_targets_whose_account_changed_role_during_the_pass_wait_for_the_next() -> None:
    accounts = _accounts("sec")
    spec = parse_monitoring({"accounts": ["shop"], "regions": ["eu-west-1", "eu-north-1"]})
    request = Request("sec", "web", spec, accounts.get, _read_secret, Aws())
    accounts["shop"] = replace(accounts["shop"], account_id="333333333333")

    # The pass bound the changed account: nothing has changed since, so all run.
    recorder = Recorder()
    assert (await engine.reconcile(request, [recorder])).errors == ()

    @dataclass
    class Moving(Recorder):
        async def reconcile(self, context: Context, target: Target) -> ComponentReport:
            accounts["shop"] = replace(accounts["shop"], account_id="444444444444")
            return await super().reconcile(context, target)

    moving = Moving()
    outcome = await engine.reconcile(request, [moving])
    assert len(moving.seen) == 1
    assert [error.reason for error in outcome.errors] == ["AccountChanged"]


class RecordingAws(Aws):
    """Records the calls it is asked to make instead of making them; `after_call` runs after
    each (to change the world mid-pass)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[tuple[str, str, str]] = []
        self.after_call = lambda: None

    async def call(self, target: Target, service: str, operation: str, **params: object) -> object:
        self.made.append((str(target), service, operation))
        self.after_call()
        await asyncio.sleep(0)
        return {}


@dataclass
class Writer:
    """Writes `writes` times in each target, through the write path (or, `through_reads`,
    trying the read path)."""

    component: str = "Writer"
    global_scope: bool = False
    checks: Sequence[CheckInfo] = ()
    writes: int = 5
    through_reads: bool = False

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return True

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        for _ in range(self.writes):
            path = context.aws if self.through_reads else context.write
            await path.call(target, "guardduty", "update_detector", DetectorId="d")
        return ComponentReport()

    async def release(self, context: Context, target: Target) -> ComponentReport:
        return await self.reconcile(context, target)


REGIONS = ["eu-west-1", "eu-central-1", "eu-north-1", "eu-south-1"]


def _writing_request(aws: Aws, accounts: dict[str, AwsAccountSpec], policy: str) -> Request:
    spec = parse_monitoring({"accounts": ["prod"], "regions": REGIONS, "managementPolicy": policy})
    return Request("sec", "web", spec, accounts.get, _read_secret, aws)


async def test_a_binding_withdrawn_mid_pass_stops_every_write_at_once() -> None:
    """Every target has started (they run together) when the AwsAccount stops binding the
    namespace after the third write: not one write more goes out, in any target."""
    aws, accounts = RecordingAws(), _accounts("sec")

    def withdraw_after_three() -> None:
        if len(aws.made) == 3:
            accounts["prod"] = replace(accounts["prod"], allowed_namespaces=frozenset())

    aws.after_call = withdraw_after_three
    outcome = await engine.reconcile(_writing_request(aws, accounts, "Enforce"), [Writer()])
    assert len(aws.made) == 3
    assert {error.reason for error in outcome.errors} == {"AccountNotBound"}
    assert len(outcome.errors) == len(REGIONS)


async def test_another_role_mid_pass_stops_the_writes_too() -> None:
    aws, accounts = RecordingAws(), _accounts("sec")
    other = AssumeRole("arn:aws:iam::111111111111:role/other", None, "gdpr", 900)

    def change_role() -> None:
        accounts["prod"] = replace(accounts["prod"], assume_role=other)

    aws.after_call = change_role
    outcome = await engine.reconcile(_writing_request(aws, accounts, "Enforce"), [Writer()])
    assert len(aws.made) == 1
    assert {error.reason for error in outcome.errors} == {"AccountChanged"}


async def test_observe_never_writes_whatever_a_component_tries() -> None:
    aws = RecordingAws()
    outcome = await engine.reconcile(_writing_request(aws, _accounts("sec"), "Observe"), [Writer()])
    assert aws.made == []
    assert {error.reason for error in outcome.errors} == {"ObserveOnly"}


async def test_the_read_path_refuses_a_write() -> None:
    aws = RecordingAws()
    outcome = await engine.reconcile(
        _writing_request(aws, _accounts("sec"), "Enforce"), [Writer(through_reads=True)]
    )
    assert aws.made == []
    assert {error.reason for error in outcome.errors} == {"InternalError"}
    assert "not a read" in outcome.errors[0].message


async def test_a_release_writes_whatever_the_management_policy_but_only_while_bound() -> None:
    aws, accounts = RecordingAws(), _accounts("sec")
    outcome = await engine.release(_writing_request(aws, accounts, "Observe"), [Writer(writes=1)])
    assert outcome.errors == ()
    assert len(aws.made) == len(REGIONS)


async def test_a_release_sees_the_other_live_monitorings_with_their_account_ids() -> None:
    seen: list[tuple[str, frozenset[str], bool]] = []

    @dataclass
    class Looker(Recorder):
        async def release(self, context: Context, target: Target) -> ComponentReport:
            seen.extend(
                (d.owner, d.account_ids, d.covers(target.account_id, target.region))
                for d in context.others
            )
            return ComponentReport()

    other = parse_monitoring({"accounts": ["prod", "gone"], "regions": ["eu-west-1"]})
    request = replace(
        _request("sec", ["prod"], ["eu-west-1"]),
        live_monitorings=lambda: [
            engine.LiveMonitoring("sec", "web", other),  # the one released: not another
            engine.LiveMonitoring("team-b", "web", other),
        ],
    )
    await engine.release(request, [Looker()])
    assert seen == [("team-b/web", frozenset({"111111111111"}), True)]


class PlumbingWriter(DriftEvents):
    """The drift-event component, writing as `Writer` does instead of its real work."""

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        await context.write.call(target, "events", "put_rule", Name="r")
        return ComponentReport()


async def test_under_managed_observe_lets_only_the_drift_event_plumbing_write() -> None:
    """events.mode Managed is the AwsAccount's decision: its plumbing is written for an
    Observe GdprMonitoring, and every other component still makes no write."""
    aws, accounts = RecordingAws(), _accounts("sec")
    accounts["prod"] = replace(accounts["prod"], drift_events=DriftEventsMode.MANAGED)
    outcome = await engine.reconcile(
        _writing_request(aws, accounts, "Observe"), [Writer(), PlumbingWriter()]
    )
    assert {operation for _, _, operation in aws.made} == {"put_rule"}
    # Each covered region's, and us-east-1's for IAM's events.
    assert sorted(target for target, _, _ in aws.made) == sorted(
        f"prod/{region}" for region in (*REGIONS, "us-east-1")
    )
    assert {(error.component, error.reason) for error in outcome.errors} == {
        ("Writer", "ObserveOnly")
    }


async def test_under_off_or_external_observe_refuses_the_plumbing_s_writes_too() -> None:
    for mode in (DriftEventsMode.OFF, DriftEventsMode.EXTERNAL):
        aws, accounts = RecordingAws(), _accounts("sec")
        accounts["prod"] = replace(accounts["prod"], drift_events=mode)
        outcome = await engine.reconcile(
            _writing_request(aws, accounts, "Observe"), [PlumbingWriter()]
        )
        assert aws.made == []
        assert {error.reason for error in outcome.errors} == {"ObserveOnly"}


def test_the_plumbing_of_an_account_leaving_managed_is_where_its_bound_monitorings_go() -> None:
    prod = replace(_accounts("sec")["prod"], drift_events=DriftEventsMode.OFF)

    def live(namespace: str, accounts: list[str], regions: list[str]) -> LiveMonitoring:
        return LiveMonitoring(
            namespace, "web", parse_monitoring({"accounts": accounts, "regions": regions})
        )

    assert engine.covered_regions(prod, []) == ()
    monitorings = [
        live("sec", ["prod"], ["eu-west-1", "eu-central-1"]),
        live("sec", ["prod", "shop"], ["eu-west-1", "eu-north-1"]),
        live("sec", ["shop"], ["us-east-1"]),  # another account
        live("other", ["prod"], ["ap-south-1"]),  # a namespace prod does not bind
    ]
    assert engine.covered_regions(prod, monitorings) == ("eu-central-1", "eu-north-1", "eu-west-1")
    every = [*monitorings, live("sec", ["prod"], ["*"])]
    assert engine.covered_regions(prod, every) == ("*",)


MANY_REGIONS = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1"]


@dataclass
class Calling(Recorder):
    """Each target makes one call through `slots`, the layer's calls in flight, shared by
    every pass as the layer's are."""

    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        async with self.slots:
            await asyncio.sleep(0.02)
        return await super().reconcile(context, target)


async def test_passes_started_together_take_turns_and_none_times_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 20 passes x 4 targets on 2 call slots take 0.8 s in all: with turns of its own, each
    # pass would start all its targets at once and the last ones would wait past 0.5 s.
    monkeypatch.setattr("gdpr_operator.engine._engine.TARGET_TIMEOUT_SECONDS", 0.5)
    layer, calling = Aws(AwsSettings(targets_in_flight=4)), Calling()
    spec = parse_monitoring({"accounts": ["prod"], "regions": MANY_REGIONS})
    requests = [
        Request("sec", f"web-{n}", spec, _accounts("sec").get, _read_secret, layer)
        for n in range(20)
    ]

    outcomes = await asyncio.gather(*(engine.reconcile(r, [calling]) for r in requests))

    assert [len(outcome.results) for outcome in outcomes] == [4] * 20
    assert [outcome.errors for outcome in outcomes] == [()] * 20


async def test_a_targeted_pass_does_not_wait_for_the_full_passes_turns() -> None:
    layer, calling = Aws(AwsSettings(targets_in_flight=4)), Calling()
    spec = parse_monitoring({"accounts": ["prod"], "regions": MANY_REGIONS})
    full = [
        asyncio.create_task(
            engine.reconcile(
                Request("sec", f"web-{n}", spec, _accounts("sec").get, _read_secret, layer),
                [calling],
            )
        )
        for n in range(20)
    ]
    await asyncio.sleep(0)  # the full passes hold every turn, their targets queued behind
    targeted = Request(
        "sec",
        "web-0",
        spec,
        _accounts("sec").get,
        _read_secret,
        layer,
        only=frozenset({engine.Slice("prod", "eu-west-1", "Recorder")}),
    )

    outcome = await engine.reconcile(targeted, [calling])

    assert [(r.region, r.compliant) for r in outcome.results] == [("eu-west-1", True)]
    assert sum(task.done() for task in full) < len(full) / 2  # it did not wait for them
    await asyncio.gather(*full)
