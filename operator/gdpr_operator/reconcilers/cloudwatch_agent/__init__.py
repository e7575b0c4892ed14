"""The unified CloudWatch agent: its configuration rendered from presets and the spec (pure),
and its delivery through Systems Manager (checks cwagent.config, cwagent.installed)."""

from gdpr_operator.reconcilers.cloudwatch_agent._command import render_command
from gdpr_operator.reconcilers.cloudwatch_agent._diff import AgentInstance
from gdpr_operator.reconcilers.cloudwatch_agent._observe import selected_instances
from gdpr_operator.reconcilers.cloudwatch_agent._presets import (
    AgentConfigError,
    Platform,
    preset_names,
)
from gdpr_operator.reconcilers.cloudwatch_agent._reconciler import CloudWatchAgent
from gdpr_operator.reconcilers.cloudwatch_agent._render import (
    LOG_STREAM_NAME,
    AgentConfig,
    configs_for,
    render_configs,
)

__all__ = [
    "LOG_STREAM_NAME",
    "AgentConfig",
    "AgentConfigError",
    "AgentInstance",
    "CloudWatchAgent",
    "Platform",
    "configs_for",
    "preset_names",
    "render_command",
    "render_configs",
    "selected_instances",
]
