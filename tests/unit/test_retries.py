"""The layer's retry policy: transient failures a few times, throttling for a time."""

from __future__ import annotations

import pytest

from gdpr_operator.aws import (
    AccessDeniedError,
    NotFoundError,
    PermanentAwsError,
    TemporaryAwsError,
)
from gdpr_operator.aws._retries import RetryPolicy

POLICY = RetryPolicy(max_attempts=4, throttle_patience=60.0)


def _temporary(reason: str) -> TemporaryAwsError:
    return TemporaryAwsError("x", service="ec2", operation="DescribeInstances", reason=reason)


def _top() -> float:
    return 1.0  # the top of the jitter's range


@pytest.mark.parametrize("reason", ["AwsServiceError", "AwsUnreachable"])
def test_transient_failures_get_max_attempts_after_botocores_backoff(reason: str) -> None:
    delays = [
        POLICY.delay(_temporary(reason), attempt=attempt, elapsed=0.0, draw=_top)
        for attempt in (1, 2, 3, 4)
    ]
    assert delays[:3] == pytest.approx([0.05, 0.1, 0.2])
    assert delays[3] is None


def test_throttling_is_retried_while_the_call_is_within_its_patience() -> None:
    throttled = _temporary("Throttled")
    delays = [
        POLICY.delay(throttled, attempt=attempt, elapsed=10.0, draw=_top)
        for attempt in range(1, 30)
    ]
    # Doubling from 250 ms, capped at 4 s, and no attempt limit within the patience.
    assert delays[:6] == pytest.approx([0.25, 0.5, 1.0, 2.0, 4.0, 4.0])
    assert all(delay is not None for delay in delays)
    assert POLICY.delay(throttled, attempt=2, elapsed=59.6, draw=_top) is None
    assert POLICY.delay(throttled, attempt=2, elapsed=59.6, draw=lambda: 0.5) == 0.25


def test_jitter_scales_the_backoff() -> None:
    assert POLICY.delay(_temporary("Throttled"), attempt=3, elapsed=0, draw=lambda: 0.25) == 0.25


@pytest.mark.parametrize(
    "error",
    [
        _temporary("CredentialsExpired"),
        NotFoundError("x", service="iam", operation="GetRole", code="NoSuchEntity"),
        AccessDeniedError(
            "x", service="iam", operation="GetRole", code="AccessDenied", action="a", principal=None
        ),
    ],
)
def test_other_errors_are_not_retried(error: Exception) -> None:
    assert isinstance(error, TemporaryAwsError | NotFoundError | AccessDeniedError)
    assert POLICY.delay(error, attempt=1, elapsed=0, draw=_top) is None


def test_an_instance_profile_ec2_does_not_know_yet_is_waited_for() -> None:
    unknown = PermanentAwsError(
        "ec2:associate_iam_instance_profile rejected (InvalidParameterValue): Value (agent) for "
        "parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
        service="ec2",
        operation="associate_iam_instance_profile",
        code="InvalidParameterValue",
    )
    assert POLICY.delay(unknown, attempt=1, elapsed=0, draw=_top) == 0.5
    assert POLICY.delay(unknown, attempt=9, elapsed=10, draw=_top) == 4.0
    assert POLICY.delay(unknown, attempt=9, elapsed=29, draw=_top) is None  # 30 s at most
    other = PermanentAwsError(
        "x", service="ec2", operation="run_instances", code="InvalidParameterValue"
    )
    assert POLICY.delay(other, attempt=1, elapsed=0, draw=_top) is None
