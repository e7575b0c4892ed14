from __future__ import annotations

import pytest

from gdpr_operator.engine import bind_accounts
from gdpr_operator.model import AwsAccountSpec


def _account(name: str, *namespaces: str) -> AwsAccountSpec:
    return AwsAccountSpec(name, "111111111111", None, frozenset(namespaces))


ACCOUNTS = {
    "prod": _account("prod", "security"),
    "shop": _account("shop", "security", "shop-team"),
    "nobody": _account("nobody"),
}


@pytest.mark.parametrize(
    ("namespace", "requested", "bound", "reason"),
    [
        ("security", ["prod"], ["prod"], None),
        ("security", ["prod", "shop"], ["prod", "shop"], None),
        ("shop-team", ["shop"], ["shop"], None),
        ("shop-team", ["shop", "prod"], [], "AccountNotBound"),
        ("security", ["nobody"], [], "AccountNotBound"),
        ("security", ["ghost"], [], "AccountNotFound"),
        ("security", ["prod", "ghost"], [], "AccountNotFound"),
        # Not bound wins over not found: it is the one a user cannot fix alone.
        ("security", ["ghost", "nobody"], [], "AccountNotBound"),
    ],
)
def test_bind_all_or_nothing(
    namespace: str, requested: list[str], bound: list[str], reason: str | None
) -> None:
    binding = bind_accounts(namespace, requested, ACCOUNTS.get)
    assert [account.name for account in binding.accounts] == bound
    assert (binding.refusal.reason if binding.refusal else None) == reason


def test_refusal_names_the_accounts_and_the_namespace() -> None:
    binding = bind_accounts("shop-team", ["prod", "shop"], ACCOUNTS.get)
    assert binding.refusal is not None
    assert "'prod'" in binding.refusal.message
    assert "'shop-team'" in binding.refusal.message
    assert "'shop'" not in binding.refusal.message
