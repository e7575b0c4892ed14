"""Property: any schema-valid GdprMonitoring, reconciled in Observe mode, never crashes the
engine and never makes a write call (hypothesis generates the specs from the CRD schema), but
for the drift-event plumbing its AwsAccount's events.mode Managed asks for."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdpr_operator import engine
from gdpr_operator.aws import AccountAccess, Aws
from gdpr_operator.model import (
    AssumeRole,
    AwsAccountSpec,
    DriftEventsMode,
    ManagementPolicy,
    SecretRef,
    openapi_schema,
    parse_duration,
    parse_monitoring,
)
from gdpr_operator.sandbox import SandboxControl, sandbox_layer

from fixtures.calls import writes
from fixtures.schema_strategies import values

REGIONS = ["eu-west-1", "eu-central-1", "us-east-1"]
PLUMBING_WRITES = {"events:PutRule", "events:PutTargets", "sqs:CreateQueue"}
"""What an Observe pass may write, under Managed only: the AwsAccount asks for it."""


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
        lambda pair: _within_rules({**pair[0], "regions": pair[1], "accounts": ["scratch"]})
    )


def _within_rules(raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` moved inside the CRD's CEL rules, which the strategies do not model and which the
    model enforces as the API server does: durations into their ranges, a KMS key into the
    one named region (or none), each custom log file's path absolute for its platform."""
    raw = copy.deepcopy(raw)
    if "resyncInterval" in raw:
        raw["resyncInterval"] = _in_range(raw["resyncInterval"], "30s", "24h")
    logs = raw.get("logs", {})
    if "maxIngestionAge" in logs:
        logs["maxIngestionAge"] = _in_range(logs["maxIngestionAge"], "1m", "168h")
    if logs.get("kmsKeyArn"):
        if raw["regions"] == ["*"] or len(raw["regions"]) > 1:
            del logs["kmsKeyArn"]
        else:
            parts = logs["kmsKeyArn"].split(":")
            logs["kmsKeyArn"] = ":".join([*parts[:3], raw["regions"][0], *parts[4:]])
    for number, item in enumerate(raw.get("cloudWatchAgent", {}).get("customLogFiles", [])):
        name = f"log{number}-{item['filePath'][-64:]}"  # still unique within the list
        item["filePath"] = f"/{name}" if item["platform"] == "Linux" else f"C:\\{name}"
    return raw


def _in_range(duration: str, low: str, high: str) -> str:
    seconds = parse_duration(duration)
    if seconds < parse_duration(low):
        return low
    return high if seconds > parse_duration(high) else duration


async def _observe(
    access: AccountAccess, layer: Aws, raw: dict[str, Any], mode: DriftEventsMode
) -> engine.Outcome:
    spec = dataclasses.replace(parse_monitoring(raw), management_policy=ManagementPolicy.OBSERVE)
    account = AwsAccountSpec(
        "scratch",
        access.account_id,
        AssumeRole(access.role_arn or "", None, "gdpr-operator", 3600),
        frozenset({"security"}),
        drift_events=mode,
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
    @given(raw=_specs(), mode=st.sampled_from(DriftEventsMode))
    def check(raw: dict[str, Any], mode: DriftEventsMode) -> None:
        since = time.time()
        outcome = loop.run_until_complete(_observe(scratch_account, layer, raw, mode))
        assert outcome.refusal is None
        internal = [e for e in outcome.errors if e.reason == "InternalError"]
        assert internal == [], internal
        assert all(
            r.action.value in ("none", "would_remediate")
            or (mode is DriftEventsMode.MANAGED and r.check == "events.delivery")
            for r in outcome.results
        )
        made = set(writes(sandbox, scratch_account, since))
        assert made <= (PLUMBING_WRITES if mode is DriftEventsMode.MANAGED else set()), made

    try:
        check()
    finally:
        layer.close()
        loop.close()
