"""What `gdpr-operator agent-config` prints: one rendered configuration, readable JSON.

Input here has not passed the API server, so the group prefix and the retention are checked
as the API server checks them in a GdprMonitoring (its schema and rules, through the model),
and the CRD's defaults fill in what is absent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gdpr_operator.model import check_field, openapi_schema
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
        group_prefix=_logs_field("groupPrefix", group_prefix, "group prefix {!r}"),
        retention_days=_logs_field("retentionDays", retention_days, "retention of {} days"),
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


def _logs_field(name: str, value: Any, label: str) -> Any:
    """`value`, or the CRD's default of spec.logs.`name`, if the CRD allows it."""
    logs = openapi_schema("GdprMonitoring")["properties"]["spec"]["properties"]["logs"]
    chosen = logs["properties"][name]["default"] if value is None else value
    problem = check_field("GdprMonitoring", f"logs.{name}", chosen)
    if problem is not None:
        raise AgentConfigError(f"{label.format(chosen)}: {problem}")
    return chosen
