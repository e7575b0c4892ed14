"""The layer's timestamp parser gives what botocore's gives, for every form AWS answers in."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.utils import parse_timestamp

from gdpr_operator.aws._timestamps import fast_parse_timestamp


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-28T19:31:44.000Z",  # EC2
        "2026-11-28T19:31:44Z",
        "2026-11-28T19:31:44.123456789Z",  # more digits than microseconds
        "2026-11-28T19:31:44+02:00",
        "2026-11-28T19:31:44",  # no offset: botocore decides the zone
        "2026-11-28",
        "Wed, 02 Oct 2002 13:00:00 GMT",  # RFC 822 (S3-style headers)
        "1700000000",  # epoch seconds as text
        1700000000,  # JSON protocols: epoch seconds
        1700000000.25,
    ],
)
def test_parses_as_botocore_does(value: Any) -> None:
    ours, botocores = fast_parse_timestamp(value), parse_timestamp(value)

    assert ours == botocores
    assert ours.utcoffset() == botocores.utcoffset()


def test_text_that_is_no_timestamp_is_refused_as_botocore_refuses_it() -> None:
    with pytest.raises(ValueError, match="Invalid timestamp"):
        fast_parse_timestamp("not a time")
