"""The log groups the agent writes to, per account and region: created ahead with the spec's
retention (and KMS key), kept so, and watched for fresh events from every instance.

Release keeps log groups, even those the operator created: they hold the evidence that
GDPR Art. 30 and 33 ask for (who accessed what, what happened in a breach), which must
outlive the monitoring of it; their retention policy, which stays, deletes events when the
storage limitation period ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from gdpr_operator.aws import Target
from gdpr_operator.model import LogIngestion, MonitoringSpec
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._delta import settle, settle_all
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.cloudwatch_agent import CloudWatchAgent
from gdpr_operator.reconcilers.log_groups import _observe
from gdpr_operator.reconcilers.log_groups._checks import CHECKS, GRANTS
from gdpr_operator.reconcilers.log_groups._diff import group_delta
from gdpr_operator.reconcilers.log_groups._freshness import freshness_deltas


class LogGroups:
    component = "LogGroups"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS)
    grants = GRANTS
    global_scope = False
    # Its freshness check reads the events the agent that CloudWatchAgent delivers writes.
    depends_on = frozenset({CloudWatchAgent.component})

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        """Seconds since the epoch, which ingestion ages are measured against."""

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.cloud_watch_agent.enabled and spec.instances is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        logs, tags = context.spec.logs, ownership_tags(context.owner)
        writers = await _observe.writers(context, target)
        groups = await _observe.read_log_groups(context.aws, target, logs.group_prefix)
        settled = await asyncio.gather(
            *(
                settle(
                    context.write,
                    target,
                    group_delta(name, logs, groups.get(name), tags),
                    enforce=context.spec.enforce,
                )
                for name in sorted(writers)
            )
        )
        results = [result for group_results in settled for result in group_results]
        reads = await asyncio.gather(
            *(
                _observe.read_arrivals(context.aws, target, name, instance_ids)
                for name, instance_ids in sorted(writers.items())
                if instance_ids and name in groups
            )
        )
        arrivals = {read.log_group: read for read in reads}
        now, max_age = self._clock(), logs.max_ingestion_age_seconds
        freshness = [
            delta
            for name, instance_ids in sorted(writers.items())
            for delta in freshness_deltas(
                name, instance_ids, arrivals.get(name), now=now, max_age=max_age
            )
        ]
        results += await settle_all(context.write, target, freshness, enforce=context.spec.enforce)
        ingestion = [
            LogIngestion(target.account, target.region, read.log_group, read.last_seconds)
            for read in reads
        ]
        return ComponentReport(results=results, ingestion=ingestion)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Log groups are kept: see the module docstring."""
        return ComponentReport()
