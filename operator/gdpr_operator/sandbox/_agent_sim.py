"""Simulated CloudWatch agents: what the agents State Manager configured would ship.

No agent runs in the sandbox, so nothing would ever reach a log group and logs.ingestion_fresh
could never pass. Every `period` seconds (a daemon thread started and stopped with the
server; `GDPR_SANDBOX_AGENT_PERIOD`, default 10, 0 or less: off) `simulate_once` first lets
State Manager apply its associations to instances that came online since
(`_ext_ssm.apply_associations`), then derives from moto's state and `_ext_ssm`'s which
instances run a configured agent, and writes for each:

- An instance ships while its EC2 state is `running` (stopped: nothing, so its streams go
  stale) and the latest run, at the association's current version, of an
  AmazonCloudWatch-ManageAgent association (action `configure`, source `ssm`) succeeded on it:
  the data DescribeAssociationExecutionTargets answers from, as the operator reads it. A run
  Pending or failed on it, or none at all, configures nothing; nor do other actions
  (`configure (append)`, `stop`, ...), which are not modelled. Associations pick their
  instances, so platforms are as their targets make them. When several configured the same
  instance, the newest run wins (`configure` replaces the agent's configuration).
- Its configuration is the SSM parameter named by `optionalConfigurationLocation`
  (`<name>` or `<name>:<version>`, in the instance's account and region); one that is missing
  or not JSON configures nothing.
- For each entry of `logs.logs_collected` (`files.collect_list`, `windows_events.collect_list`)
  it puts one event, "gdpr-sandbox agent: <file_path or event_name> heartbeat", into the
  entry's `log_group_name`, stream `log_stream_name` (else `logs.log_stream_name`, else
  `{instance_id}`) with `{instance_id}`, `{hostname}`, `{local_hostname}` and `{ip_address}`
  resolved; one put per stream. The stream is created when missing. A log group that
  does not exist is skipped: the real agent would create it, but the operator creates its
  groups ahead, and creating them here would hide that it had not.
- Not modelled: the install association (a configure run is taken to imply the agent) and
  the role's permission to write logs (CloudWatchAgentServerPolicy).

Writes go to moto's logs backend directly, not over HTTP, so the sandbox's call counts
(`/_gdpr/calls`, recorded per HTTP request in `SandboxApp`) never include them: tests that
count the operator's writes see the operator's only.

Threads. Server threads change the same state meanwhile, and neither moto nor the extensions
hold a lock around requests (moto's `backend_lock` guards creating and resetting backends,
`ASSOCIATIONS`' lock its map of places, `RUNS` the recording of association runs), so each
step is kept small: every collection read is copied first (`list(...)`, atomic under the GIL;
moto's `all_instances` copies too), and a new stream goes into a copy of the group's stream
map that then replaces it, so a request iterating the old map (DescribeLogStreams) is never
disturbed. Ticks run one at a time (the loop's and direct calls'). A tick that meets a request
half-done (an association being updated, a reset) may write a tick early, late or not at all;
a failure is logged and skips that account and region until the next tick.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from moto.core.base_backend import BackendDict, BaseBackend
from moto.ec2.models import EC2Backend, ec2_backends
from moto.logs.models import LogsBackend, LogStream, logs_backends
from moto.ssm.exceptions import ParameterVersionNotFound
from moto.ssm.models import ssm_backends

from ._ext_ssm import ASSOCIATIONS, Association, apply_associations

CONFIGURE_DOCUMENT = "AmazonCloudWatch-ManageAgent"
PERIOD_VARIABLE = "GDPR_SANDBOX_AGENT_PERIOD"
DEFAULT_PERIOD = 10.0
"""Seconds between ticks."""
DEFAULT_STREAM = "{instance_id}"
"""The agent's own default log stream name."""

_log = logging.getLogger(__name__)
_Backend = TypeVar("_Backend", bound=BaseBackend)
_TICKS = threading.Lock()


@dataclass(frozen=True, slots=True)
class Shipment:
    """What one tick put into one log stream."""

    account: str
    region: str
    instance_id: str
    log_group: str
    log_stream: str
    messages: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "instanceId": self.instance_id,
            "logGroup": self.log_group,
            "logStream": self.log_stream,
            "messages": list(self.messages),
        }


def configured_period(period: float | None = None) -> float:
    """`period` if given, else `GDPR_SANDBOX_AGENT_PERIOD`, else 10 seconds."""
    if period is not None:
        return period
    value = os.environ.get(PERIOD_VARIABLE, "").strip()
    return float(value) if value else DEFAULT_PERIOD


def simulate_once(now: float | None = None) -> list[Shipment]:
    """One tick of State Manager and every simulated agent (module doc), events stamped `now`
    (seconds since the epoch; default: the time now). Returns what was put where."""
    millis = int((time.time() if now is None else now) * 1000)
    shipments: list[Shipment] = []
    with _TICKS:
        try:
            apply_associations()
        except Exception:  # a request half-done; the next tick (or read) applies them
            _log.warning("State Manager skipped a tick", exc_info=True)
        for account, regions in list(ec2_backends.items()):
            for region, ec2 in list(regions.items()):
                try:
                    shipments += _tick(account, region, ec2, millis)
                except Exception:
                    _log.warning(
                        "simulated agents in %s %s skipped a tick", account, region, exc_info=True
                    )
    return shipments


class AgentSimulator:
    """`simulate_once` every `period` seconds in a daemon thread, from `start` to `stop`.
    A period of 0 or less starts nothing."""

    def __init__(self, period: float = DEFAULT_PERIOD) -> None:
        self.period = period
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.period <= 0 or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="gdpr-sandbox-agents", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self.period):
            try:
                simulate_once()
            except Exception:  # never end the loop; simulate_once logs per place already
                _log.warning("simulated agents skipped a tick", exc_info=True)


def _tick(account: str, region: str, ec2: EC2Backend, millis: int) -> list[Shipment]:
    running = [i for i in list(ec2.all_instances()) if i.state == "running"]
    if not running:
        return []
    configures = [
        a for a in list(ASSOCIATIONS.of(account, region).values()) if a.name == CONFIGURE_DOCUMENT
    ]
    logs = _existing(logs_backends, account, region)  # none: no log groups to write to
    if not configures or logs is None:
        return []
    shipments = []
    for instance in running:
        config = _configuration(account, region, configures, instance.id)
        if config is None:
            continue
        names = {
            "instance_id": instance.id,
            "hostname": instance.private_dns_name or "",
            "local_hostname": instance.private_dns_name or "",
            "ip_address": instance.private_ip or "",
        }
        for (group, stream), messages in _sources(config, names).items():
            if _put(logs, group, stream, messages, millis):
                shipments.append(
                    Shipment(account, region, instance.id, group, stream, tuple(messages))
                )
    return shipments


def _configuration(
    account: str, region: str, configures: list[Association], instance_id: str
) -> dict[str, Any] | None:
    """The agent configuration applied to the instance last, if any (module doc)."""
    applied = [
        (when, association)
        for association in configures
        if (when := _succeeded_at(association, instance_id)) is not None
    ]
    if not applied:
        return None
    _, association = max(applied, key=lambda pair: pair[0])
    parameters = association.parameters
    if (
        parameters.get("action") != ["configure"]
        or parameters.get("optionalConfigurationSource") != ["ssm"]
        or len(parameters.get("optionalConfigurationLocation") or []) != 1
    ):
        return None
    return _parameter_json(account, region, parameters["optionalConfigurationLocation"][0])


def _succeeded_at(association: Association, instance_id: str) -> datetime | None:
    """When the association's latest run on the instance, at its current version, succeeded;
    None when that run did not succeed or there is none."""
    version = association.version
    for execution in reversed(list(association.executions)):
        if execution.version != version:
            return None
        status = execution.status_by_instance.get(instance_id)
        if status is not None:
            return execution.created if status == "Success" else None
    return None


def _parameter_json(account: str, region: str, location: str) -> dict[str, Any] | None:
    ssm = _existing(ssm_backends, account, region)
    if ssm is None:
        return None
    try:
        parameter = ssm.get_parameter(location)
    except ParameterVersionNotFound:
        return None
    if parameter is None:
        return None
    try:
        config = json.loads(parameter.value)
    except ValueError:
        return None
    return config if isinstance(config, dict) else None


def _sources(
    config: Mapping[str, Any], names: Mapping[str, str]
) -> dict[tuple[str, str], list[str]]:
    """(log group, log stream) -> one heartbeat message per source shipping there."""
    logs = _mapping(config.get("logs"))
    default_stream = logs.get("log_stream_name") or DEFAULT_STREAM
    collected = _mapping(logs.get("logs_collected"))
    sources: dict[tuple[str, str], list[str]] = {}
    for entry, label in _entries(collected):
        group = entry.get("log_group_name")
        if not isinstance(group, str) or not group:
            continue
        stream = entry.get("log_stream_name") or default_stream
        key = (_resolve(group, names), _resolve(str(stream), names))
        sources.setdefault(key, []).append(f"gdpr-sandbox agent: {label} heartbeat")
    return sources


def _entries(collected: Mapping[str, Any]) -> Iterator[tuple[Mapping[str, Any], str]]:
    for section, label_key in (("files", "file_path"), ("windows_events", "event_name")):
        for entry in _mapping(collected.get(section)).get("collect_list") or []:
            if isinstance(entry, Mapping):
                yield entry, str(entry.get(label_key, section))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _resolve(name: str, names: Mapping[str, str]) -> str:
    for placeholder, value in names.items():
        name = name.replace("{" + placeholder + "}", value)
    return name


def _existing(backends: BackendDict[_Backend], account: str, region: str) -> _Backend | None:
    """The backend of the account and region if moto has made it (never makes one)."""
    regions = backends.get(account)  # dict.get: unlike [], it never makes a backend
    return None if regions is None else regions.get(region)


def _put(logs: LogsBackend, group_name: str, stream: str, messages: list[str], millis: int) -> bool:
    """Put the messages into the stream, made if missing; False when the group is missing."""
    group = logs.groups.get(group_name)
    if group is None:
        return False
    if stream not in group.streams:
        # Copy, add, replace: a request iterating the old map is never disturbed.
        streams = dict(group.streams)
        streams.setdefault(stream, LogStream(log_group=group, name=stream))
        group.streams = streams
    logs.put_log_events(
        group_name, stream, [{"timestamp": millis, "message": message} for message in messages]
    )
    return True
