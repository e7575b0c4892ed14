"""config.recorder, per account and region: is a recorder recording every supported resource
type?

A region may hold several recorders (a customer managed one, service-linked ones): one that
records everything, and is recording without a failed last attempt, will do. Read: the
region's recorders and their status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.aws import Target
from gdpr_operator.model import CheckInfo, MonitoringSpec, Scope
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers.audit._component import AuditComponent, Verdict, first_compliant

CHECK = CheckInfo(
    id="config.recorder",
    summary="An AWS Config recorder in the region is recording every supported resource type.",
    articles=("5(2)", "30", "32(1)(d)"),
    scope=Scope.ACCOUNT_REGION,
    iam_actions=frozenset(
        {"config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"}
    ),
)

_FAILURE = "FAILURE"


@dataclass(frozen=True, slots=True)
class Recorder:
    """A configuration recorder and its status."""

    name: str
    all_supported: bool
    recording: bool
    last_status: str
    """Pending, Success or Failure: how its latest recording attempt went."""
    last_error: str

    @classmethod
    def from_api(cls, recorder: Mapping[str, Any], status: Mapping[str, Any]) -> Recorder:
        return cls(
            name=recorder["name"],
            all_supported=bool(recorder.get("recordingGroup", {}).get("allSupported")),
            recording=bool(status.get("recording")),
            last_status=status.get("lastStatus", ""),
            last_error=status.get("lastErrorCode", ""),
        )


def recorder_problem(recorder: Recorder) -> str | None:
    wrong = []
    if not recorder.recording:
        wrong.append("is not recording")
    elif recorder.last_status.upper() == _FAILURE:
        wrong.append(f"failed its last recording attempt ({recorder.last_error or 'no code'})")
    if not recorder.all_supported:
        wrong.append("records selected resource types only")
    return f"recorder {recorder.name} {' and '.join(wrong)}" if wrong else None


def recorder_verdict(recorders: Sequence[Recorder]) -> Verdict:
    """The region's verdict; the resource is the recorder's name."""
    if not recorders:
        return Verdict("", "no AWS Config configuration recorder in this region")
    return first_compliant(
        [Verdict(recorder.name, recorder_problem(recorder)) for recorder in recorders]
    )


class ConfigRecorder(AuditComponent[list[Recorder]]):
    component = "ConfigRecorder"
    check = CHECK

    async def observe(self, context: Context, target: Target) -> list[Recorder]:
        recorders, statuses = await asyncio.gather(
            context.aws.call(target, "config", "describe_configuration_recorders"),
            context.aws.call(target, "config", "describe_configuration_recorder_status"),
        )
        status_by_name = {
            status["name"]: status for status in statuses.get("ConfigurationRecordersStatus", [])
        }
        return [
            Recorder.from_api(recorder, status_by_name.get(recorder["name"], {}))
            for recorder in recorders.get("ConfigurationRecorders", [])
        ]

    def verdicts(self, observed: list[Recorder], spec: MonitoringSpec) -> Sequence[Verdict]:
        return [recorder_verdict(observed)]
