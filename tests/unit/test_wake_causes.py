"""The causes a wake carries to another replica's GdprMonitoring: signed, so that the owner
uses them as they were received, and nothing a tenant writes or copies in their place."""

from __future__ import annotations

import json

import pytest

from gdpr_operator.engine import DriftCause
from gdpr_operator.handlers._wake_causes import (
    MAX_AGE_SECONDS,
    MAX_CAUSES,
    InvalidWakeError,
    decode,
    encode,
    fresh,
)

KEY = bytes(range(32))
UID = "0b7e2f6c-uid"
STAMP = "1764770000.250"


def _cause(
    received_at: float, principal: str = "arn:aws:iam::111111111111:user/alice"
) -> DriftCause:
    return DriftCause(
        "111111111111",
        "eu-west-1",
        "GuardDuty",
        principal,
        "UpdateDetector",
        "2026-12-03T13:02:11Z",
        received_at,
        "prod",
    )


def test_the_owner_reads_back_every_field_of_the_causes_the_waker_signed() -> None:
    causes = [_cause(1764769990.5), _cause(1764769999.125, principal="")]
    carried = decode(KEY, encode(KEY, UID, STAMP, causes), UID)
    assert carried.uid == UID
    assert carried.woken_at == STAMP
    assert list(carried.causes) == causes
    assert carried.omitted == 0


def test_a_value_with_any_byte_changed_is_refused() -> None:
    value = encode(KEY, UID, STAMP, [_cause(1764769990.5)])
    forged = value.replace("alice", "bobby")
    assert forged != value
    with pytest.raises(InvalidWakeError, match="signature"):
        decode(KEY, forged, UID)
    for index in range(len(value)):  # every single byte
        changed = value[:index] + chr(ord(value[index]) ^ 1) + value[index + 1 :]
        with pytest.raises(InvalidWakeError):
            decode(KEY, changed, UID)


def test_a_value_signed_for_another_object_or_with_another_key_is_refused() -> None:
    value = encode(KEY, UID, STAMP, [_cause(1764769990.5)])
    with pytest.raises(InvalidWakeError, match="another object"):
        decode(KEY, value, "another-uid")
    with pytest.raises(InvalidWakeError, match="signature"):
        decode(bytes(32), value, UID)


def test_a_value_a_tenant_wrote_without_the_key_is_refused() -> None:
    unsigned = json.dumps({"uid": UID, "at": STAMP, "causes": [], "omitted": 0})
    for value in (unsigned, "", "not json", "[]", json.dumps({"hmac": 1})):
        with pytest.raises(InvalidWakeError):
            decode(KEY, value, UID)


def test_a_storm_carries_its_most_recent_causes_and_counts_the_others() -> None:
    causes = [_cause(1764769000.0 + index) for index in range(MAX_CAUSES + 7)]
    carried = decode(KEY, encode(KEY, UID, STAMP, list(reversed(causes))), UID)
    assert list(carried.causes) == causes[-MAX_CAUSES:]
    assert carried.omitted == 7


def test_only_a_value_newer_than_the_last_accepted_and_recent_is_fresh() -> None:
    carried = decode(KEY, encode(KEY, UID, STAMP, [_cause(1764769990.5)]), UID)
    woken_at = float(STAMP)
    assert fresh(carried, None, woken_at + 1)
    assert fresh(carried, woken_at - 0.001, woken_at + MAX_AGE_SECONDS)
    assert not fresh(carried, woken_at, woken_at + 1)  # accepted already: replayed
    assert not fresh(carried, None, woken_at + MAX_AGE_SECONDS + 1)  # too old
