"""`settle`: one delta's calls made (or not) and its check results built, by one rule."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, PermanentAwsError, Target
from gdpr_operator.model import GLOBAL_REGION, Action, CheckInfo
from gdpr_operator.reconcilers._access import AwsWrites, WriteRefusedError, refuse_in_observe
from gdpr_operator.reconcilers._delta import Call, Delta, NotOwnedError, settle, settle_all

TARGET = Target(AccountAccess("prod", "111122223333"), "eu-west-1")
FIRST = CheckInfo("test.first", "first", ("32",), "resource", frozenset())
SECOND = CheckInfo("test.second", "second", ("32",), "resource", frozenset())


class FakeAws:
    """Records calls; answers each with `replies[operation]`, or raises what `fail` says."""

    def __init__(self, replies: dict[str, Any] | None = None, fail: Exception | None = None):
        self.calls: list[tuple[str, str, str, dict[str, Any]]] = []
        self.replies = replies or {}
        self.fail = fail

    async def call(self, target: Target, service: str, operation: str, **params: Any) -> Any:
        self.calls.append((target.region, service, operation, params))
        if self.fail is not None:
            raise self.fail
        return self.replies.get(operation, {})


def _writes(aws: FakeAws, enforce: bool = True) -> AwsWrites:
    return AwsWrites(aws, refuse_in_observe(enforce))  # type: ignore[arg-type]


CREATE = Call("svc", "create_thing", {"Name": "x"})
TAG = Call("svc", "tag_thing", {"Name": "x"})


async def test_a_compliant_delta_makes_no_call_and_says_compliant() -> None:
    aws = FakeAws()
    delta = Delta("x", {FIRST: None, SECOND: None}, calls=(CREATE,))
    results = await settle(_writes(aws), TARGET, delta, enforce=True)
    assert aws.calls == []
    assert [(r.compliant, r.reason, r.action) for r in results] == [
        (True, "compliant", Action.NONE),
        (True, "compliant", Action.NONE),
    ]


async def test_a_note_replaces_compliant_in_compliant_results_only() -> None:
    delta = Delta("x", {FIRST: None, SECOND: "wrong"}, note="by the account's trail")
    results = await settle(_writes(FakeAws()), TARGET, delta, enforce=False)
    assert [r.reason for r in results] == ["by the account's trail", "wrong"]


async def test_enforce_makes_the_calls_in_order_and_marks_only_failing_checks() -> None:
    aws = FakeAws()
    delta = Delta("x", {FIRST: "missing", SECOND: None}, calls=(CREATE, TAG))
    results = await settle(_writes(aws), TARGET, delta, enforce=True)
    assert [c[2] for c in aws.calls] == ["create_thing", "tag_thing"]
    assert [r.action for r in results] == [Action.REMEDIATED, Action.NONE]
    assert results[0].reason == "missing"
    assert results[0].region == "eu-west-1"


async def test_observe_makes_no_call_and_would_remediate() -> None:
    aws = FakeAws()
    delta = Delta("x", {FIRST: "missing"}, calls=(CREATE,))
    (result,) = await settle(_writes(aws, enforce=False), TARGET, delta, enforce=False)
    assert aws.calls == []
    assert result.action is Action.WOULD_REMEDIATE


async def test_no_calls_in_enforce_would_remediate_another_pass_repairs_it() -> None:
    (result,) = await settle(_writes(FakeAws()), TARGET, Delta("x", {FIRST: "w"}), enforce=True)
    assert result.action is Action.WOULD_REMEDIATE


@pytest.mark.parametrize(
    "error",
    [
        PermanentAwsError("nope", service="svc", operation="CreateThing", code="Invalid"),
        NotOwnedError("tag changed"),
    ],
)
async def test_a_failed_call_ends_the_repair_and_names_the_error(error: Exception) -> None:
    aws = FakeAws(fail=error)
    delta = Delta("x", {FIRST: "missing"}, calls=(CREATE, TAG))
    (result,) = await settle(_writes(aws), TARGET, delta, enforce=True)
    assert len(aws.calls) == 1
    assert result.action is Action.FAILED
    assert result.reason.startswith("missing; repair failed: ")
    assert str(error) in result.reason


async def test_a_refused_write_is_not_a_failed_repair_it_propagates() -> None:
    aws = FakeAws()
    delta = Delta("x", {FIRST: "missing"}, calls=(CREATE,))
    with pytest.raises(WriteRefusedError):
        await settle(_writes(aws, enforce=False), TARGET, delta, enforce=True)
    assert aws.calls == []


async def test_left_alone_says_why_and_makes_no_call() -> None:
    aws = FakeAws()
    delta = Delta("x", {FIRST: "wrong", SECOND: None}, calls=(CREATE,), left_alone="not ours")
    results = await settle(_writes(aws), TARGET, delta, enforce=True)
    assert aws.calls == []
    assert [(r.reason, r.action) for r in results] == [
        ("wrong; not ours", Action.NONE),
        ("compliant", Action.NONE),
    ]


async def test_not_repairable_is_recorded_on_failing_results_only() -> None:
    delta = Delta("x", {FIRST: "wrong", SECOND: None}, not_repairable="a member account")
    results = await settle(_writes(FakeAws()), TARGET, delta, enforce=True)
    assert [(r.action, r.not_repairable) for r in results] == [
        (Action.NONE, "a member account"),
        (Action.NONE, ""),
    ]


@pytest.mark.parametrize(
    ("enforce", "action"), [(True, Action.FAILED), (False, Action.WOULD_REMEDIATE)]
)
async def test_blocked_fails_in_enforce_and_would_remediate_in_observe(
    enforce: bool, action: Action
) -> None:
    aws = FakeAws()
    delta = Delta("", {FIRST: "no detector"}, calls=(CREATE,), blocked=True)
    (result,) = await settle(_writes(aws, enforce), TARGET, delta, enforce=enforce)
    assert aws.calls == []
    assert result.action is action
    assert result.reason == "no detector"


async def test_account_wide_calls_go_to_the_account_iam_target() -> None:
    aws = FakeAws()
    call = Call("iam", "create_role", {"RoleName": "r"}, account_wide=True)
    await settle(_writes(aws), TARGET, Delta("r", {FIRST: "missing"}, calls=(call,)), enforce=True)
    assert aws.calls[0][0] == GLOBAL_REGION


async def test_a_once_call_is_made_once_per_pass_however_many_deltas_carry_it() -> None:
    aws = FakeAws()
    writes = _writes(aws)
    attach = Call("iam", "attach_role_policy", {"RoleName": "r", "PolicyArn": "p"}, once=True)
    deltas = [Delta(f"i-{n}", {FIRST: "missing"}, calls=(attach,)) for n in range(3)]
    results = await asyncio.gather(*(settle(writes, TARGET, d, enforce=True) for d in deltas))
    assert len(aws.calls) == 1
    assert all(r.action is Action.REMEDIATED for (r,) in results)
    await settle(writes.fresh(), TARGET, deltas[0], enforce=True)
    assert len(aws.calls) == 2, "another pass makes it again"


async def test_a_batch_call_that_lists_failed_items_fails_the_repair() -> None:
    reply = {"Unsuccessful": [{"Error": {"Code": "InvalidParameter", "Message": "no role"}}]}
    aws = FakeAws(replies={"create_flow_logs": reply})
    call = Call("ec2", "create_flow_logs", {}, failed_items="Unsuccessful")
    (result,) = await settle(
        _writes(aws), TARGET, Delta("vpc-1", {FIRST: "none"}, calls=(call,)), enforce=True
    )
    assert result.action is Action.FAILED
    assert "no role" in result.reason


async def test_settle_all_keeps_the_order_of_the_deltas() -> None:
    deltas = [Delta("a", {FIRST: None}), Delta("b", {FIRST: "w"})]
    results = await settle_all(_writes(FakeAws()), TARGET, deltas, enforce=False)
    assert [r.resource for r in results] == ["a", "b"]


async def test_a_once_call_is_made_once_per_target_not_once_for_every_region() -> None:
    aws = FakeAws()
    writes = _writes(aws)
    create = Call("ssm", "create_association", {"Name": "doc"}, once=True)
    other = Target(TARGET.access, "eu-central-1")
    for target in (TARGET, other, TARGET):
        await settle(writes, target, Delta("a", {FIRST: "missing"}, calls=(create,)), enforce=True)
    assert [region for region, *_ in aws.calls] == ["eu-west-1", "eu-central-1"]


async def test_an_owned_call_is_verified_right_before_it_and_not_made_when_not_owned() -> None:
    aws = FakeAws()
    seen: list[tuple[str, str]] = []

    async def verify(owned: tuple[str, str]) -> None:
        seen.append(owned)
        assert [op for *_, op, _ in aws.calls] == ["create_thing"], "after the call before it"
        raise NotOwnedError("thing x was not created by gdpr-operator")

    tag = Call("svc", "tag_thing", {"Name": "x"}, owned=("Thing", "x"))
    delta = Delta("x", {FIRST: "wrong"}, calls=(CREATE, tag))
    (result,) = await settle(_writes(aws), TARGET, delta, enforce=True, verify=verify)
    assert seen == [("Thing", "x")]
    assert [op for *_, op, _ in aws.calls] == ["create_thing"]
    assert result.action is Action.FAILED
    assert (
        result.reason == "wrong; repair failed: NotOwned: thing x was not created by gdpr-operator"
    )
    observed = await settle(_writes(aws, False), TARGET, delta, enforce=False, verify=verify)
    assert [r.action for r in observed] == [Action.WOULD_REMEDIATE]
    assert seen == [("Thing", "x")], "Observe verifies nothing"


async def test_an_owned_call_without_a_verifier_is_not_made() -> None:
    aws = FakeAws()
    tag = Call("svc", "tag_thing", {"Name": "x"}, owned=("Thing", "x"))
    delta = Delta("x", {FIRST: "wrong"}, calls=(tag,))
    (result,) = await settle(_writes(aws), TARGET, delta, enforce=True)
    assert aws.calls == []
    assert result.action is Action.FAILED


@pytest.mark.parametrize("enforce", [True, False])
async def test_a_waiting_delta_makes_no_call_and_keeps_its_reason(enforce: bool) -> None:
    aws = FakeAws()
    delta = Delta("i-1", {FIRST: "not run yet", SECOND: None}, calls=(CREATE,), waits=True)
    results = await settle(_writes(aws, enforce), TARGET, delta, enforce=enforce)
    assert aws.calls == []
    assert [(r.reason, r.action, r.not_repairable) for r in results] == [
        ("not run yet", Action.NONE, ""),
        ("compliant", Action.NONE, ""),
    ]
