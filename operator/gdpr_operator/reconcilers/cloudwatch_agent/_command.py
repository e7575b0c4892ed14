"""What `gdpr-operator agent-config` prints: one rendered configuration, readable JSON.

Input here has not passed the API server, so the group prefix and the retention are checked
against the GdprMonitoring CRD's own rules, and the CRD's defaults fill in what is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from gdpr_operator.model import openapi_schema
from gdpr_operator.reconcilers.cloudwatch_agent._presets import AgentConfigError, Platform
from gdpr_operator.reconcilers.cloudwatch_agent._render import render_configs


def render_command(
    presets: Sequence[str],
    *,
    platform: str | None = None,
    group_prefix: str | None = None,
    retention_days: int | None = None,
) -> str:
    """The configuration for `platform` (required only when the presets span both), indented.

    Absent settings take the CRD's defaults; AgentConfigError says what is wrong.
    """
    if not presets:
        raise AgentConfigError("name at least one preset")
    configs = render_configs(
        presets,
        group_prefix=_group_prefix(group_prefix),
        retention_days=_retention_days(retention_days),
    )
    if platform is None:
        if len(configs) > 1:
            raise AgentConfigError("the presets are for Linux and Windows: choose a platform")
        (config,) = configs.values()
    else:
        wanted = Platform.named(platform)
        if wanted not in configs:
            raise AgentConfigError(f"none of the presets collects anything on {wanted}")
        config = configs[wanted]
    return json.dumps(config.document, indent=2, sort_keys=True)


def _group_prefix(value: str | None) -> str:
    rules = _logs_field("groupPrefix")
    prefix: str = rules["default"] if value is None else value
    if not (
        rules["minLength"] <= len(prefix) <= rules["maxLength"]
        and re.fullmatch(rules["pattern"], prefix)
    ):
        raise AgentConfigError(
            f"group prefix {prefix!r} must match {rules['pattern']} "
            f"in {rules['minLength']} to {rules['maxLength']} characters"
        )
    return prefix


def _retention_days(value: int | None) -> int:
    rules = _logs_field("retentionDays")
    days: int = rules["default"] if value is None else value
    if days not in rules["enum"]:
        allowed = ", ".join(str(choice) for choice in rules["enum"])
        raise AgentConfigError(f"retention of {days} days is not one of {allowed}")
    return days


def _logs_field(name: str) -> Mapping[str, Any]:
    """The CRD schema of spec.logs.`name`."""
    spec = openapi_schema("GdprMonitoring")["properties"]["spec"]
    field: Mapping[str, Any] = spec["properties"]["logs"]["properties"][name]
    return field
