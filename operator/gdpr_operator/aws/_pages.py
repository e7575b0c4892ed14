"""Pagination as a sequence of plain calls, each a request the layer can retry on its own.

botocore's paginator fetches pages inside a generator that a failed page ends for good; the
layer walks the service's pagination model (botocore's paginators-1 data) itself instead:
the parameters of the first page, then those of the next from each page's output tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jmespath
from botocore import xform_name

from ._shared_models import shared_loader

_PAGE_SIZE = "PageSize"


@dataclass(frozen=True, slots=True)
class Paging:
    """How one operation pages: its input tokens, the expressions giving them from a page,
    whether more pages follow, and the parameter that sizes a page."""

    operation: str
    input_tokens: tuple[str, ...]
    output_tokens: tuple[Any, ...]
    more_results: Any
    limit_key: str | None

    def first(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The first page's parameters: `params`, with PaginationConfig's PageSize (the one
        setting supported) as the operation's limit parameter."""
        request = dict(params)
        config = dict(request.pop("PaginationConfig", None) or {})
        size = config.pop(_PAGE_SIZE, None)
        if config:
            raise ValueError(f"{self.operation}: unsupported PaginationConfig {sorted(config)}")
        if size is not None:
            if self.limit_key is None:
                raise ValueError(f"{self.operation} has no page size parameter")
            request[self.limit_key] = size
        return request

    def next(self, request: Mapping[str, Any], page: Mapping[str, Any]) -> dict[str, Any] | None:
        """The next page's parameters after `page`, fetched with `request`; None: the last."""
        if self.more_results is not None and not self.more_results.search(page):
            return None
        tokens = {
            name: expression.search(page) or None
            for name, expression in zip(self.input_tokens, self.output_tokens, strict=True)
        }
        if all(token is None for token in tokens.values()):
            return None
        if all(request.get(name) == token for name, token in tokens.items()):
            raise RuntimeError(f"{self.operation}: the same next token was received twice")
        following = {key: value for key, value in request.items() if key not in tokens}
        following.update({name: token for name, token in tokens.items() if token is not None})
        return following


def paging(service: str, operation: str) -> Paging:
    """The paging of `operation` (boto3's name, "describe_instances") of `service`."""
    return _paging(service, operation)


@cache
def _paging(service: str, operation: str) -> Paging:
    models = shared_loader().load_service_model(service, "paginators-1")["pagination"]
    by_name = {xform_name(name): (name, model) for name, model in models.items()}
    if operation not in by_name:
        raise ValueError(f"{service}:{operation} does not paginate")
    name, model = by_name[operation]
    return Paging(
        operation=f"{service}:{name}",
        input_tokens=tuple(_listed(model["input_token"])),
        output_tokens=tuple(jmespath.compile(token) for token in _listed(model["output_token"])),
        more_results=jmespath.compile(model["more_results"]) if "more_results" in model else None,
        limit_key=model.get("limit_key"),
    )


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
