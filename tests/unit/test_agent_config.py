"""The rendered CloudWatch agent configurations, checked against the agent's own JSON schema.

The oracle is upstream data in tests/reference/amazon-cloudwatch-agent (see its SOURCE.md):
the schema the agent validates its configuration with, and the sample
configurations it accepts and rejects. The validator is first proven on those samples.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gdpr_operator.model import CustomLogFile, openapi_schema, parse_monitoring
from gdpr_operator.reconcilers.cloudwatch_agent import (
    LOG_STREAM_NAME,
    AgentConfig,
    AgentConfigError,
    Platform,
    configs_for,
    preset_names,
    render_command,
    render_configs,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
AGENT_REFERENCE = REPO_ROOT / "tests" / "reference" / "amazon-cloudwatch-agent"

PREFIX = "/gdpr/web"
RETENTION = 365
PRESETS = ["apache", "iis", "linux-system", "nginx", "windows-system"]
LINUX_PRESETS = {"apache", "linux-system", "nginx"}

CUSTOM_FILES = (
    CustomLogFile("Linux", "/opt/shop/logs/*.log", "shop/app", "%Y-%m-%dT%H:%M:%S"),
    CustomLogFile("Linux", "/var/log/nginx/access.log", "shop/nginx", None),
    CustomLogFile("Windows", r"D:\Shop\logs\app.log", "shop/windows", None),
    CustomLogFile("Windows", r"c:\inetpub\logs\logfiles\w3svc*\*.log", "shop/iis", None),
)
"""Two new files, and two that repeat a preset's path (the Windows one in other case)."""


def _crd_spec_field(*path: str) -> dict[str, Any]:
    field: dict[str, Any] = dict(openapi_schema("GdprMonitoring")["properties"]["spec"])
    for name in path:
        field = field["items"] if name == "[]" else field["properties"][name]
    return field


@pytest.fixture(scope="module")
def reference() -> Path:
    return AGENT_REFERENCE


@pytest.fixture(scope="module")
def validator(reference: Path) -> jsonschema.protocols.Validator:
    schema = json.loads((reference / "schema.json").read_text("utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _samples(reference: Path, kind: str) -> dict[str, Any]:
    files = sorted((reference / "samples" / kind).glob("*.json"))
    assert files, f"no samples in {reference / 'samples' / kind}"
    return {file.name: json.loads(file.read_text("utf-8")) for file in files}


def _errors(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]


# The validator, proven on the agent's own samples.


def test_every_valid_sample_validates(
    reference: Path, validator: jsonschema.protocols.Validator
) -> None:
    failures = {
        name: errors
        for name, sample in _samples(reference, "valid").items()
        if (errors := _errors(validator, sample))
    }
    assert failures == {}


def test_every_invalid_sample_is_rejected(
    reference: Path, validator: jsonschema.protocols.Validator
) -> None:
    """All of them break a rule the schema states (none relies on the agent's own checks)."""
    accepted = [
        name
        for name, sample in _samples(reference, "invalid").items()
        if not _errors(validator, sample)
    ]
    assert accepted == []


# Every preset and combination renders configurations the agent accepts.


def _assert_accepted(validator: jsonschema.protocols.Validator, config: AgentConfig) -> None:
    assert _errors(validator, config.document) == []
    collected = config.document["logs"]["logs_collected"]
    # The schema's uniqueItems catches identical entries only; the agent wants unique files.
    paths = Counter(
        entry["file_path"].casefold()
        for entry in collected.get("files", {}).get("collect_list", [])
    )
    events = Counter(
        entry["event_name"] for entry in collected.get("windows_events", {}).get("collect_list", [])
    )
    assert [path for path, count in paths.items() if count > 1] == []
    assert [event for event, count in events.items() if count > 1] == []


SUBSETS = [
    list(subset)
    for size in range(1, len(PRESETS) + 1)
    for subset in itertools.combinations(PRESETS, size)
]


@pytest.mark.parametrize("custom_files", [(), CUSTOM_FILES], ids=["presets", "with-custom"])
@pytest.mark.parametrize("presets", SUBSETS, ids=["+".join(subset) for subset in SUBSETS])
def test_every_combination_renders_valid_configs(
    validator: jsonschema.protocols.Validator,
    presets: list[str],
    custom_files: tuple[CustomLogFile, ...],
) -> None:
    configs = render_configs(presets, custom_files, group_prefix=PREFIX, retention_days=RETENTION)
    platforms = {Platform.LINUX if name in LINUX_PRESETS else Platform.WINDOWS for name in presets}
    assert set(configs) == (set(Platform) if custom_files else platforms)
    for config in configs.values():
        _assert_accepted(validator, config)


def test_the_presets_are_those_the_crd_offers() -> None:
    assert list(preset_names()) == sorted(
        _crd_spec_field("cloudWatchAgent", "presets", "[]")["enum"]
    )


def test_preset_log_groups_are_valid_custom_log_group_suffixes() -> None:
    pattern = _crd_spec_field("cloudWatchAgent", "customLogFiles", "[]", "logGroup")["pattern"]
    configs = render_configs(preset_names(), group_prefix=PREFIX, retention_days=RETENTION)
    suffixes = [
        name.removeprefix(PREFIX + "/")
        for config in configs.values()
        for name in config.log_group_names
    ]
    assert [suffix for suffix in suffixes if not re.fullmatch(pattern, suffix)] == []


def test_what_each_preset_collects() -> None:
    configs = render_configs(preset_names(), group_prefix="/p", retention_days=RETENTION)
    linux = _entries(configs[Platform.LINUX], "files")
    windows_files = _entries(configs[Platform.WINDOWS], "files")
    events = _entries(configs[Platform.WINDOWS], "windows_events")
    assert {entry["file_path"]: entry["log_group_name"] for entry in linux} == {
        "/var/log/messages": "/p/linux/syslog",
        "/var/log/syslog": "/p/linux/syslog",
        "/var/log/secure": "/p/linux/auth",
        "/var/log/auth.log": "/p/linux/auth",
        "/var/log/apache2/access.log": "/p/apache/access",
        "/var/log/httpd/access_log": "/p/apache/access",
        "/var/log/apache2/error.log": "/p/apache/error",
        "/var/log/httpd/error_log": "/p/apache/error",
        "/var/log/nginx/access.log": "/p/nginx/access",
        "/var/log/nginx/error.log": "/p/nginx/error",
    }
    assert {entry["file_path"]: entry["log_group_name"] for entry in windows_files} == {
        "C:\\inetpub\\logs\\LogFiles\\W3SVC*\\*.log": "/p/iis/access",
    }
    assert {entry["event_name"]: entry["log_group_name"] for entry in events} == {
        "System": "/p/windows/system",
        "Security": "/p/windows/security",
        "Application": "/p/windows/application",
    }
    security = next(entry for entry in events if entry["event_name"] == "Security")
    assert "INFORMATION" in security["event_levels"], "audit success/failure are level 0"


# Behaviour.


def _entries(config: AgentConfig, kind: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (
        config.document["logs"]["logs_collected"].get(kind, {}).get("collect_list", [])
    )
    return entries


def _all_entries(configs: dict[Platform, AgentConfig]) -> list[dict[str, Any]]:
    return [
        entry
        for config in configs.values()
        for kind in ("files", "windows_events")
        for entry in _entries(config, kind)
    ]


def test_log_groups_use_the_prefix_and_are_listed_per_platform() -> None:
    configs = render_configs(PRESETS, CUSTOM_FILES, group_prefix=PREFIX, retention_days=RETENTION)
    for config in configs.values():
        groups = {
            entry["log_group_name"]
            for kind in ("files", "windows_events")
            for entry in _entries(config, kind)
        }
        assert config.log_group_names == tuple(sorted(groups))
        assert all(group.startswith(PREFIX + "/") for group in groups)
    assert f"{PREFIX}/shop/app" in configs[Platform.LINUX].log_group_names
    assert f"{PREFIX}/shop/windows" in configs[Platform.WINDOWS].log_group_names


def test_streams_are_named_after_the_instance() -> None:
    configs = render_configs(PRESETS, CUSTOM_FILES, group_prefix=PREFIX, retention_days=RETENTION)
    assert LOG_STREAM_NAME == "{instance_id}"
    assert {entry["log_stream_name"] for entry in _all_entries(configs)} == {"{instance_id}"}


@pytest.mark.parametrize("days", [1, 30, 365, 3653])
def test_retention_is_the_specs(days: int) -> None:
    configs = render_configs(PRESETS, CUSTOM_FILES, group_prefix=PREFIX, retention_days=days)
    assert {entry["retention_in_days"] for entry in _all_entries(configs)} == {days}


def test_a_custom_file_replaces_the_preset_file_at_its_path() -> None:
    configs = render_configs(PRESETS, CUSTOM_FILES, group_prefix=PREFIX, retention_days=RETENTION)
    nginx = [
        entry
        for entry in _entries(configs[Platform.LINUX], "files")
        if entry["file_path"] == "/var/log/nginx/access.log"
    ]
    assert nginx == [
        {
            "file_path": "/var/log/nginx/access.log",
            "log_group_name": f"{PREFIX}/shop/nginx",
            "log_stream_name": "{instance_id}",
            "retention_in_days": RETENTION,
        }
    ]
    iis = [
        entry
        for entry in _entries(configs[Platform.WINDOWS], "files")
        if "inetpub" in entry["file_path"].casefold()
    ]
    assert [entry["log_group_name"] for entry in iis] == [f"{PREFIX}/shop/iis"]
    assert f"{PREFIX}/nginx/access" not in configs[Platform.LINUX].log_group_names
    assert f"{PREFIX}/iis/access" not in configs[Platform.WINDOWS].log_group_names


def test_custom_files_at_one_path_keep_one_whatever_their_order() -> None:
    same_path = [CustomLogFile("Linux", "/srv/app.log", group, None) for group in ("b", "a", "c")]
    renders = {
        render_configs([], files, group_prefix=PREFIX, retention_days=RETENTION)[
            Platform.LINUX
        ].canonical_json
        for files in itertools.permutations(same_path)
    }
    (only,) = renders
    assert [
        entry["log_group_name"]
        for entry in json.loads(only)["logs"]["logs_collected"]["files"]["collect_list"]
    ] == [f"{PREFIX}/a"]


def test_the_same_inputs_in_any_order_give_the_same_bytes() -> None:
    first = render_configs(PRESETS, CUSTOM_FILES, group_prefix=PREFIX, retention_days=RETENTION)
    again = render_configs(PRESETS, CUSTOM_FILES, group_prefix=PREFIX, retention_days=RETENTION)
    shuffled = render_configs(
        [*reversed(PRESETS), "nginx"],
        CUSTOM_FILES[::-1],
        group_prefix=PREFIX,
        retention_days=RETENTION,
    )
    assert first == again == shuffled
    assert {config.content_hash for config in first.values()} == {
        config.content_hash for config in shuffled.values()
    }


def test_the_canonical_form_and_its_hash() -> None:
    config = render_configs(["nginx"], group_prefix=PREFIX, retention_days=RETENTION)[
        Platform.LINUX
    ]
    assert config.canonical_json == json.dumps(
        config.document, sort_keys=True, separators=(",", ":")
    )
    assert re.fullmatch("[0-9a-f]{16}", config.content_hash)
    assert (
        hashlib.sha256(config.canonical_json.encode()).hexdigest().startswith(config.content_hash)
    )


def test_changed_settings_change_the_hash() -> None:
    def hashes(**settings: Any) -> dict[Platform, str]:
        arguments: dict[str, Any] = {"group_prefix": PREFIX, "retention_days": RETENTION}
        configs = render_configs(PRESETS, **{**arguments, **settings})
        return {platform: config.content_hash for platform, config in configs.items()}

    base = hashes()
    for changed in (hashes(retention_days=400), hashes(group_prefix="/other")):
        assert all(changed[platform] != base[platform] for platform in Platform)


def test_a_platform_without_entries_has_no_config() -> None:
    assert set(
        render_configs(["apache", "nginx"], group_prefix=PREFIX, retention_days=RETENTION)
    ) == {Platform.LINUX}
    assert set(render_configs(["iis"], group_prefix=PREFIX, retention_days=RETENTION)) == {
        Platform.WINDOWS
    }
    assert render_configs([], group_prefix=PREFIX, retention_days=RETENTION) == {}


def test_configs_for_a_spec_follow_its_defaults() -> None:
    spec = parse_monitoring({"accounts": ["prod"], "regions": ["eu-west-1"]})
    configs = configs_for(spec)
    assert set(configs) == set(Platform)  # the CRD's default presets: linux-system, windows-system
    assert {entry["retention_in_days"] for entry in _all_entries(configs)} == {365}
    assert all(
        group.startswith("/gdpr/")
        for config in configs.values()
        for group in config.log_group_names
    )


def test_unknown_presets_and_platforms_are_errors() -> None:
    with pytest.raises(AgentConfigError, match="unknown preset 'tomcat'"):
        render_configs(["tomcat"], group_prefix=PREFIX, retention_days=RETENTION)
    with pytest.raises(AgentConfigError, match="platform 'MacOS'"):
        render_configs(
            [],
            [CustomLogFile("MacOS", "/var/log/system.log", "mac", None)],
            group_prefix=PREFIX,
            retention_days=RETENTION,
        )


# The agent-config command.


def test_command_prints_one_valid_config_with_the_crd_defaults(
    validator: jsonschema.protocols.Validator,
) -> None:
    document = json.loads(render_command(["linux-system", "nginx"]))
    assert _errors(validator, document) == []
    entries = document["logs"]["logs_collected"]["files"]["collect_list"]
    assert {entry["retention_in_days"] for entry in entries} == {365}
    assert {entry["log_group_name"].rsplit("/", 2)[0] for entry in entries} == {"/gdpr"}


def test_command_picks_the_platform_asked_for() -> None:
    document = json.loads(
        render_command(PRESETS, platform="Windows", group_prefix="/x", retention_days=30)
    )
    assert set(document["logs"]["logs_collected"]) == {"files", "windows_events"}
    assert "/gdpr/windows/security" in render_command(["windows-system"], platform="Windows")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"presets": []}, "at least one preset"),
        ({"presets": PRESETS}, "choose a platform"),
        ({"presets": ["iis"], "platform": "Linux"}, "anything on Linux"),
        ({"presets": ["iis"], "platform": "linux"}, "platform 'linux'"),
        ({"presets": ["iis"], "retention_days": 0}, "retention of 0 days"),
        ({"presets": ["iis"], "group_prefix": "gdpr"}, "group prefix 'gdpr'"),
        ({"presets": ["iis"], "group_prefix": "/gdpr/"}, "group prefix '/gdpr/'"),
        ({"presets": ["iis", "jboss"]}, "unknown preset 'jboss'"),
    ],
)
def test_command_rejects_what_cannot_be_rendered(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(AgentConfigError, match=re.escape(message)):
        render_command(**arguments)
