"""AWS Config, per account and region: is a recorder recording every supported resource type?

Pure. A region may hold several recorders (a customer managed one, service-linked ones):
one that records everything, and is recording without a failed last attempt, will do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gdpr_operator.reconcilers.audit._component import Verdict, first_compliant

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
