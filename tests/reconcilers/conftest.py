"""Fixtures for reconciler tests against the sandbox."""

from __future__ import annotations

import pytest

from gdpr_operator.aws import AccountAccess, Aws
from gdpr_operator.reconcilers import Context

from fixtures.contexts import context, spec


@pytest.fixture
def enforce_context(layer: Aws, scratch_account: AccountAccess) -> Context:
    return context(layer, spec([scratch_account.name], ["eu-west-1"], managementPolicy="Enforce"))
