"""NextToken pagination for the extensions: the token is the offset of the next item."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from ._errors import ApiError

T = TypeVar("T")


def page(
    items: Sequence[T],
    max_results: int | None,
    next_token: str | None,
    *,
    default: int,
    invalid_token_code: str = "InvalidNextToken",
) -> tuple[list[T], str | None]:
    """One page of `items` and the token of the next (None on the last page)."""
    try:
        start = int(next_token) if next_token else 0
    except ValueError:
        raise ApiError(invalid_token_code, "The specified token is not valid.") from None
    end = start + (max_results or default)
    return list(items[start:end]), (str(end) if end < len(items) else None)
