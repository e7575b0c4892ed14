"""The log collection presets in agent_configs/ (shipped as package data under presets/).

A preset file names its platform and what it collects; log group names in it are suffixes,
appended to the spec's logs.groupPrefix when a configuration is rendered.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

_PRESETS = resources.files(__package__).joinpath("presets")
_SUFFIX = ".yaml"


class AgentConfigError(ValueError):
    """A preset, platform or setting that no agent configuration can be rendered from."""


class Platform(enum.StrEnum):
    """An instance's operating system family, as SSM names it."""

    LINUX = "Linux"
    WINDOWS = "Windows"

    @classmethod
    def named(cls, name: str) -> Platform:
        """The platform called `name`; AgentConfigError when there is none."""
        try:
            return cls(name)
        except ValueError:
            allowed = ", ".join(cls)
            raise AgentConfigError(f"platform {name!r} is not one of {allowed}") from None


@dataclass(frozen=True, slots=True)
class LogFile:
    """A text log file to ship; `log_group` is the suffix after the group prefix."""

    file_path: str
    log_group: str
    timestamp_format: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class WindowsEventLog:
    """A Windows event log channel to ship; `log_group` is the suffix after the group prefix."""

    event_name: str
    event_levels: tuple[str, ...]
    event_format: str
    log_group: str


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    platform: Platform
    log_files: tuple[LogFile, ...]
    windows_events: tuple[WindowsEventLog, ...]


@functools.cache
def preset_names() -> tuple[str, ...]:
    """Every shipped preset, sorted."""
    return tuple(
        sorted(
            entry.name.removesuffix(_SUFFIX)
            for entry in _PRESETS.iterdir()
            if entry.name.endswith(_SUFFIX)
        )
    )


@functools.cache
def load_preset(name: str) -> Preset:
    """The preset called `name`; AgentConfigError when there is none or it is malformed."""
    if name not in preset_names():
        known = ", ".join(preset_names())
        raise AgentConfigError(f"unknown preset {name!r}; the presets are {known}")
    data = yaml.safe_load(_PRESETS.joinpath(name + _SUFFIX).read_text("utf-8"))
    try:
        return _parse_preset(name, data)
    except (TypeError, ValueError) as error:
        raise AgentConfigError(f"preset {name}: {error}") from None


def _parse_preset(name: str, data: Any) -> Preset:
    _check_keys(data, required={"platform"}, optional={"log_files", "windows_events"})
    platform = Platform.named(_text(data, "platform"))
    log_files = tuple(_parse_log_file(item) for item in data.get("log_files", []))
    windows_events = tuple(_parse_windows_event(item) for item in data.get("windows_events", []))
    if windows_events and platform is not Platform.WINDOWS:
        raise ValueError("windows_events need platform Windows")
    if not log_files and not windows_events:
        raise ValueError("collects nothing")
    return Preset(name, platform, log_files, windows_events)


def _parse_log_file(data: Any) -> LogFile:
    _check_keys(
        data, required={"file_path", "log_group"}, optional={"timestamp_format", "timezone"}
    )
    return LogFile(
        file_path=_text(data, "file_path"),
        log_group=_text(data, "log_group"),
        timestamp_format=_optional_text(data, "timestamp_format"),
        timezone=_optional_text(data, "timezone"),
    )


def _parse_windows_event(data: Any) -> WindowsEventLog:
    keys = {"event_name", "event_levels", "event_format", "log_group"}
    _check_keys(data, required=keys, optional=set())
    levels = data["event_levels"]
    if not isinstance(levels, list) or not all(isinstance(level, str) for level in levels):
        raise TypeError("event_levels must be a list of strings")
    return WindowsEventLog(
        event_name=_text(data, "event_name"),
        event_levels=tuple(levels),
        event_format=_text(data, "event_format"),
        log_group=_text(data, "log_group"),
    )


def _check_keys(data: Any, required: set[str], optional: set[str]) -> None:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a mapping, got {data!r}")
    if missing := required - data.keys():
        raise ValueError(f"missing {sorted(missing)} in {dict(data)}")
    if unknown := data.keys() - required - optional:
        raise ValueError(f"unknown {sorted(unknown)} in {dict(data)}")


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{key} must be a non-empty string, got {value!r}")
    return value


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    return _text(data, key) if key in data else None
