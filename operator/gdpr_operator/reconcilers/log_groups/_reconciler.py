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
from collections.abc import Callable, Sequence
from functools import partial

from gdpr_operator.aws import Target
from gdpr_operator.model import Action, CheckInfo, CheckResult, LogIngestion, MonitoringSpec
from gdpr_operator.reconcilers._base import ComponentReport, Context, declared_actions
from gdpr_operator.reconcilers._settle import settle
from gdpr_operator.reconcilers._tags import ownership_tags
from gdpr_operator.reconcilers.cloudwatch_agent import Instance, configs_for, selected_instances
from gdpr_operator.reconcilers.log_groups._checks import (
    CHECKS,
    ENCRYPTION,
    GRANTS,
    INGESTION_FRESH,
    RETENTION,
)
from gdpr_operator.reconcilers.log_groups._diff import (
    Arrivals,
    LogGroup,
    encryption_problem,
    freshness,
    last_arrival,
    repairs,
    retention_problem,
)
from gdpr_operator.reconcilers.log_groups._observe import read_arrivals, read_log_groups


class LogGroups:
    component = "LogGroups"
    checks = CHECKS
    iam_actions = declared_actions(CHECKS)
    grants = GRANTS
    global_scope = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        """Seconds since the epoch, which ingestion ages are measured against."""

    def applies_to(self, spec: MonitoringSpec) -> bool:
        return spec.cloud_watch_agent.enabled and spec.instances is not None

    async def reconcile(self, context: Context, target: Target) -> ComponentReport:
        configs = configs_for(context.spec)
        # Which instance writes a stream (named after it) to which log group.
        writers: dict[str, list[Instance]] = {
            name: [] for config in configs.values() for name in config.log_group_names
        }
        for instance in await selected_instances(context, target):
            if instance.platform in configs:
                for name in configs[instance.platform].log_group_names:
                    writers[name].append(instance)
        groups = await read_log_groups(context.aws, target, context.spec.logs.group_prefix)
        settled = await asyncio.gather(
            *(_settings(context, target, name, groups.get(name)) for name in sorted(writers))
        )
        results = [result for group_results in settled for result in group_results]
        reads = await asyncio.gather(
            *(
                read_arrivals(context.aws, target, name, [i.id for i in instances])
                for name, instances in sorted(writers.items())
                if instances and name in groups
            )
        )
        arrivals = {read.log_group: read for read in reads}
        now = self._clock()
        for name, instances in sorted(writers.items()):
            results += _freshness(
                context, target, name, instances, arrivals=arrivals.get(name), now=now
            )
        ingestion = [
            LogIngestion(target.account, target.region, read.log_group, read.last_seconds)
            for read in reads
        ]
        return ComponentReport(results=results, ingestion=ingestion)

    async def release(self, context: Context, target: Target) -> ComponentReport:
        """Log groups are kept: see the module docstring."""
        return ComponentReport()


async def _settings(
    context: Context, target: Target, name: str, group: LogGroup | None
) -> list[CheckResult]:
    logs = context.spec.logs
    problems: dict[CheckInfo, str | None] = {
        RETENTION: retention_problem(logs.retention_days, group)
    }
    if logs.kms_key_arn:
        problems[ENCRYPTION] = encryption_problem(logs.kms_key_arn, group)
    calls = repairs(name, logs, group, ownership_tags(context.owner))
    return await settle(
        target,
        target.region,
        problems,
        name,
        enforce=context.spec.enforce,
        apply=partial(context.write.in_order, target, "logs", calls),
    )


def _freshness(
    context: Context,
    target: Target,
    name: str,
    instances: Sequence[Instance],
    *,
    arrivals: Arrivals | None,
    now: float,
) -> list[CheckResult]:
    """One result per instance: nothing the operator writes makes events arrive (the other
    checks say why they do not), so the action is always none."""
    max_age = context.spec.logs.max_ingestion_age_seconds
    results = []
    for instance in instances:
        compliant, reason = freshness(last_arrival(arrivals, instance.id), now=now, max_age=max_age)
        results.append(
            CheckResult(
                check=INGESTION_FRESH.id,
                account=target.account,
                region=target.region,
                resource=f"{name}/{instance.id}",
                compliant=compliant,
                reason=reason,
                action=Action.NONE,
            )
        )
    return results
