"""VPC flow logs, per VPC: does an active flow log of the VPC itself deliver?

Pure. Flow logs of a subnet or network interface cover part of a VPC only, so they do not
count. Any traffic type does (AWS's own controls accept REJECT alone). A flow log whose
delivery FAILED (its destination is missing or not writable) records nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from gdpr_operator.reconcilers._vpcs import FlowLog, flow_log_problem
from gdpr_operator.reconcilers.audit._component import Verdict


def vpc_problem(flow_logs: Sequence[FlowLog]) -> str | None:
    """What is wrong with a VPC given its own flow logs."""
    if not flow_logs:
        return "no flow log"
    problems = [flow_log_problem(flow_log) for flow_log in flow_logs]
    return None if None in problems else "; ".join(p for p in problems if p)


def vpc_verdicts(vpc_ids: Iterable[str], flow_logs: Iterable[FlowLog]) -> list[Verdict]:
    """One verdict per VPC; the resource is the VPC id."""
    by_resource: defaultdict[str, list[FlowLog]] = defaultdict(list)
    for flow_log in flow_logs:
        by_resource[flow_log.resource_id].append(flow_log)
    return [Verdict(vpc_id, vpc_problem(by_resource[vpc_id])) for vpc_id in sorted(vpc_ids)]
