"""Helpers for reconciler tests against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws
from gdpr_operator.model import MonitoringSpec, parse_monitoring
from gdpr_operator.reconcilers import Context
from gdpr_operator.sandbox import SandboxControl

WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Attach", "Detach", "Associate",
                  "Disassociate", "Replace", "Tag", "Untag", "Add", "Remove", "Enable",
                  "Disable", "Start", "Send", "Modify", "Run")


def spec(accounts: list[str], regions: list[str], **fields: Any) -> MonitoringSpec:
    return parse_monitoring({"accounts": accounts, "regions": regions, **fields})


def context(layer: Aws, monitoring: MonitoringSpec, owner: str = "security/web") -> Context:
    return Context(layer, monitoring, owner)


def writes(sandbox: SandboxControl, account: AccountAccess) -> list[str]:
    """Every write call the sandbox saw for `account`, once per call."""
    return sorted(
        f"{call['service']}:{call['operation']}" for call in sandbox.calls()
        if call["account"] == account.account_id
        and call["operation"].startswith(WRITE_PREFIXES)
        for _ in range(call["count"])
    )


def reads(sandbox: SandboxControl, account: AccountAccess, service: str) -> int:
    return sum(call["count"] for call in sandbox.calls()
               if call["account"] == account.account_id and call["service"] == service
               and not call["operation"].startswith(WRITE_PREFIXES))


@pytest.fixture
def enforce_context(layer: Aws, scratch_account: AccountAccess) -> Context:
    return context(layer, spec([scratch_account.name], ["eu-west-1"],
                               managementPolicy="Enforce"))
