"""Property: any schema-valid GdprMonitoring, reconciled in Observe mode, never crashes the
engine and never makes a write call (hypothesis generates the specs from the CRD schema)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws
from gdpr_operator.model import (
    AssumeRole,
    AwsAccountSpec,
    ManagementPolicy,
    SecretRef,
    openapi_schema,
    parse_monitoring,
)
from gdpr_operator.sandbox import SandboxControl, sandbox_layer

from .schema_strategies import values
from fixtures.calls import writes

REGIONS = ["eu-west-1", "eu-central-1", "us-east-1"]


def _spec_schema() -> dict[str, Any]:
    spec: dict[str, Any] = openapi_schema("GdprMonitoring")["properties"]["spec"]
    # Accounts and regions come from the sandbox's world; every other field is generated.
    properties = {
        name: field
        for name, field in spec["properties"].items()
        if name not in ("accounts", "regions")
    }
    return {**spec, "properties": properties, "required": []}


def _specs() -> st.SearchStrategy[dict[str, Any]]:
    # "*" (every enabled region) is the costly case: drawn about one time in five.
    regions = st.one_of(
        st.just(["*"]),
        *[st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2, unique=True)] * 4,
    )
    return st.tuples(values(_spec_schema()), regions).map(
        lambda pair: {**pair[0], "regions": pair[1], "accounts": ["scratch"]}
    )


async def _observe(access: AccountAccess, layer: Aws, raw: dict[str, Any]) -> engine.Outcome:
    spec = dataclasses.replace(parse_monitoring(raw), management_policy=ManagementPolicy.OBSERVE)
    account = AwsAccountSpec(
        "scratch",
        access.account_id,
        AssumeRole(access.role_arn or "", None, "gdpr-operator", 3600),
        frozenset({"security"}),
    )

    async def no_secret(ref: SecretRef) -> str:
        raise AssertionError(f"no Secret here: {ref}")

    return await engine.reconcile(
        engine.Request("security", "web", spec, {"scratch": account}.get, no_secret, layer)
    )


def test_observe_never_crashes_and_never_writes(
    sandbox_url: str,
    sandbox: SandboxControl,
    scratch_account: AccountAccess,
) -> None:
    loop = asyncio.new_event_loop()
    layer = sandbox_layer(sandbox_url)  # one layer, one loop: clients reused across examples

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(raw=_specs())
    def check(raw: dict[str, Any]) -> None:
        outcome = loop.run_until_complete(_observe(scratch_account, layer, raw))
        assert outcome.refusal is None
        internal = [e for e in outcome.errors if e.reason == "InternalError"]
        assert internal == [], internal
        assert all(r.action.value in ("none", "would_remediate") for r in outcome.results)
        assert writes(sandbox, scratch_account) == []

    try:
        check()
    finally:
        layer.close()
        loop.close()
