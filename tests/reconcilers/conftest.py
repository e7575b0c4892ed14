"""Helpers for reconciler tests against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws
from gdpr_operator.model import MonitoringSpec, TenantPermissions, parse_monitoring
from gdpr_operator.reconcilers import Context

from fixtures.calls import reads, writes

__all__ = ["ADOPTING", "context", "reads", "spec", "writes"]


def spec(accounts: list[str], regions: list[str], **fields: Any) -> MonitoringSpec:
    return parse_monitoring({"accounts": accounts, "regions": regions, **fields})


def context(
    layer: Aws,
    monitoring: MonitoringSpec,
    owner: str = "security/web",
    permissions: TenantPermissions | None = None,
) -> Context:
    return Context.of(layer, monitoring, owner, permissions=permissions or TenantPermissions())


ADOPTING = TenantPermissions(adopt_guardduty_detectors=True)
"""An AwsAccount that lets the operator adopt the detectors it did not create."""


@pytest.fixture
def enforce_context(layer: Aws, scratch_account: AccountAccess) -> Context:
    return context(layer, spec([scratch_account.name], ["eu-west-1"], managementPolicy="Enforce"))
