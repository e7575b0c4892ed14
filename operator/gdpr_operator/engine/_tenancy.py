"""Tenancy: a GdprMonitoring may act only on AwsAccounts bound to its namespace."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gdpr_operator.model import AwsAccountSpec


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why nothing may be done at all; `reason` is CamelCase, for conditions and events."""

    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Binding:
    """The accounts a GdprMonitoring may act on, or the refusal that stops it."""

    accounts: tuple[AwsAccountSpec, ...]
    refusal: Refusal | None


def bind_accounts(
    namespace: str,
    requested: Sequence[str],
    lookup: Callable[[str], AwsAccountSpec | None],
) -> Binding:
    """Bind every requested account, or refuse all of them.

    One unbound account refuses the whole spec rather than acting on the others: a typo or
    an unauthorised name must not leave half an estate remediated.
    """
    missing: list[str] = []
    unbound: list[str] = []
    bound: list[AwsAccountSpec] = []
    for name in requested:
        account = lookup(name)
        if account is None:
            missing.append(name)
        elif namespace not in account.allowed_namespaces:
            unbound.append(name)
        else:
            bound.append(account)
    if unbound:
        return Binding(
            (),
            Refusal(
                "AccountNotBound",
                f"AwsAccount {_names(unbound)} not bound to namespace {namespace!r}: a cluster "
                f"administrator must add it to spec.allowedNamespaces; nothing was done in AWS",
            ),
        )
    if missing:
        return Binding(
            (),
            Refusal(
                "AccountNotFound",
                f"AwsAccount {_names(missing)} not found; nothing was done in AWS",
            ),
        )
    return Binding(tuple(bound), None)


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)
