"""AWS's request buckets, and the layer's client-side copy of them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from gdpr_operator.aws import _rates, bucket_for
from gdpr_operator.aws._rates import RateLimits


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("ec2", "DescribeInstances", {"Filters": []}, ("non-mutating", 100, 20)),
        ("ec2", "DescribeInstances", {"Filter.1.Name": "tag:x"}, ("non-mutating", 100, 20)),
        ("ec2", "DescribeInstances", {}, ("unfiltered-unpaginated", 50, 10)),
        ("ec2", "ReplaceIamInstanceProfileAssociation", {}, ("mutating", 50, 5)),
        ("ec2", "AssociateIamInstanceProfile", {}, ("own", 100, 5)),
        ("ec2", "CreateTags", {}, ("own", 100, 10)),
        ("logs", "DescribeLogStreams", {}, ("own", 5, 5)),
        ("iam", "CreateRole", {}, ("undocumented", 20, 5)),
        ("guardduty", "ListDetectors", {}, ("undocumented", 20, 5)),
    ],
)
def test_each_call_draws_on_the_bucket_aws_documents(
    service: str, operation: str, params: dict[str, object], expected: tuple[str, int, int]
) -> None:
    bucket = bucket_for(service, operation, params)
    assert (bucket.category, bucket.capacity, bucket.refill) == expected


def test_the_client_spends_the_burst_then_waits_at_the_refill_rate() -> None:
    now = [0.0]
    rates = RateLimits(clock=lambda: now[0])

    def delay(operation: str = "DescribeLogStreams", account: str = "111111111111") -> float:
        return rates.delay(account, "eu-west-1", "logs", operation, {})

    assert [delay() for _ in range(5)] == [0.0] * 5
    # In debt: each further call waits a fifth of a second more than the one before.
    assert [delay() for _ in range(3)] == pytest.approx([0.2, 0.4, 0.6])
    assert delay(account="222222222222") == 0.0  # another account's bucket
    assert delay("DescribeLogGroups") == 0.0  # another API's
    now[0] = 10.0  # refilled, up to the capacity only
    assert [delay() for _ in range(6)] == pytest.approx([0, 0, 0, 0, 0, 0.2])


def test_worker_threads_pausing_at_once_each_take_a_token_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(_rates.time, "sleep", slept.append)
    rates = RateLimits(clock=lambda: 0.0)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(12):
            pool.submit(rates.pause, "111111111111", "us-east-1", "logs", "DescribeLogStreams", {})

    # 5 tokens at once, then 7 in debt: no reservation lost or counted twice between threads.
    assert sorted(slept) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4])
