"""Renders the unified CloudWatch agent's JSON configuration: one per platform, deterministic.

Presets and the spec's custom files are merged into one collect_list per platform, at most
one entry per file path (the agent rejects duplicates): a custom file replaces a preset file
at the same path, the spec's explicit choice. Entries are sorted, so neither the order of
the presets nor that of the custom files changes the output or its hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gdpr_operator.model import CustomLogFile, MonitoringSpec
from gdpr_operator.reconcilers.cloudwatch_agent._presets import (
    LogFile,
    Platform,
    WindowsEventLog,
    load_preset,
)

LOG_STREAM_NAME = "{instance_id}"
"""Every log stream is named after its instance; the agent substitutes the id."""

_HASH_LENGTH = 16


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """The agent's configuration for one platform, in the canonical form stored in SSM."""

    platform: Platform
    canonical_json: str
    """Sorted keys, no whitespace: equal configurations are equal strings."""
    log_group_names: tuple[str, ...]
    """Every log group it writes to, sorted."""

    @property
    def document(self) -> dict[str, Any]:
        """A fresh copy of the configuration as JSON data."""
        document: dict[str, Any] = json.loads(self.canonical_json)
        return document

    @property
    def content_hash(self) -> str:
        """Short sha256 of the canonical JSON: a new value means a new configuration."""
        return hashlib.sha256(self.canonical_json.encode()).hexdigest()[:_HASH_LENGTH]


@dataclass(slots=True)
class _Selection:
    """What one platform collects, keyed for deduplication."""

    log_files: dict[str, LogFile] = field(default_factory=dict)
    windows_events: dict[str, WindowsEventLog] = field(default_factory=dict)


def render_configs(
    presets: Iterable[str],
    custom_log_files: Iterable[CustomLogFile] = (),
    *,
    group_prefix: str,
    retention_days: int,
) -> dict[Platform, AgentConfig]:
    """One configuration per platform that collects anything.

    AgentConfigError for an unknown preset or platform.
    """
    selections = {platform: _Selection() for platform in Platform}
    for preset in (load_preset(name) for name in sorted(set(presets))):
        selection = selections[preset.platform]
        for log_file in preset.log_files:
            selection.log_files.setdefault(_path_key(preset.platform, log_file.file_path), log_file)
        for event_log in preset.windows_events:
            selection.windows_events.setdefault(event_log.event_name, event_log)
    replaced: set[tuple[Platform, str]] = set()
    for custom in sorted(custom_log_files, key=_custom_order):
        platform = Platform.named(custom.platform)
        key = _path_key(platform, custom.file_path)
        if (platform, key) not in replaced:
            replaced.add((platform, key))
            selections[platform].log_files[key] = LogFile(
                custom.file_path, custom.log_group, custom.timestamp_format
            )
    return {
        platform: _config(platform, selection, group_prefix, retention_days)
        for platform, selection in selections.items()
        if selection.log_files or selection.windows_events
    }


def configs_for(spec: MonitoringSpec) -> dict[Platform, AgentConfig]:
    """The configurations a GdprMonitoring asks for, per platform."""
    return render_configs(
        spec.cloud_watch_agent.presets,
        spec.cloud_watch_agent.custom_log_files,
        group_prefix=spec.logs.group_prefix,
        retention_days=spec.logs.retention_days,
    )


def _path_key(platform: Platform, file_path: str) -> str:
    """Windows paths are case-insensitive: C:\\Logs and c:\\logs are the same file."""
    return file_path.casefold() if platform is Platform.WINDOWS else file_path


def _custom_order(custom: CustomLogFile) -> tuple[str, str, str, str]:
    return (custom.platform, custom.file_path, custom.log_group, custom.timestamp_format or "")


def _config(
    platform: Platform, selection: _Selection, group_prefix: str, retention_days: int
) -> AgentConfig:
    def destination(suffix: str) -> dict[str, Any]:
        return {
            "log_group_name": f"{group_prefix}/{suffix}",
            "log_stream_name": LOG_STREAM_NAME,
            "retention_in_days": retention_days,
        }

    collected: dict[str, Any] = {}
    if selection.log_files:
        collected["files"] = {
            "collect_list": [
                {**_file_source(log_file), **destination(log_file.log_group)}
                for _, log_file in sorted(selection.log_files.items())
            ]
        }
    if selection.windows_events:
        collected["windows_events"] = {
            "collect_list": [
                {**_event_source(event_log), **destination(event_log.log_group)}
                for _, event_log in sorted(selection.windows_events.items())
            ]
        }
    suffixes = {log_file.log_group for log_file in selection.log_files.values()} | {
        event_log.log_group for event_log in selection.windows_events.values()
    }
    return AgentConfig(
        platform=platform,
        canonical_json=json.dumps(
            {"logs": {"logs_collected": collected}}, sort_keys=True, separators=(",", ":")
        ),
        log_group_names=tuple(sorted(f"{group_prefix}/{suffix}" for suffix in suffixes)),
    )


def _file_source(log_file: LogFile) -> dict[str, str]:
    source = {"file_path": log_file.file_path}
    if log_file.timestamp_format:
        source["timestamp_format"] = log_file.timestamp_format
    if log_file.timezone:
        source["timezone"] = log_file.timezone
    return source


def _event_source(event_log: WindowsEventLog) -> dict[str, Any]:
    return {
        "event_name": event_log.event_name,
        "event_levels": list(event_log.event_levels),
        "event_format": event_log.event_format,
    }
