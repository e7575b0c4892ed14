"""Drift events: from a change in AWS to the operator's answer, with AwsAccount events.mode
Managed (External for the Observe case) and `resyncInterval: 1h`, so that only an event can
bring a pass within the run.

    scripts/bench drift_events --trials 20                          # the detector case
    scripts/bench drift_events --case detector --case instance --trials 20
    scripts/bench drift_events --case instance --delay 60 --trials 5
    scripts/bench drift_events --case quiet --case storm
    scripts/bench drift_events --hub --case storm                   # through an events hub

A private local control plane, the sandbox (in this process; events delivered after
`--delay` seconds, GDPR_SANDBOX_EVENT_DELAY), the operator; each case in a fresh tenant
(namespace, account, GdprMonitoring `web` in eu-west-1). Cases (`--case`, repeatable):

- detector: Enforce; Admin/alice disables the detector; until it is ENABLED again (polled
  every 50 ms) and until one more DriftDetected Event names alice (every 200 ms).
- detector-observe: Observe, the account's owner's stacks (events.mode External: Observe
  GdprMonitorings make no plumbing; in eu-west-1, and in us-east-1 with IamOnly); alice
  disables the detector; until the GuardDuty condition is False naming alice, and the
  DriftDetected Event naming her. Then the administrator enables it again and the trial
  waits for the condition to be True.
- instance: Enforce, instances selected by two tags (so that the agent's associations
  target instance ids, not the tag), the CloudWatch agent and log groups; alice launches an
  instance with the selector's tags; until it has the instance profile, and until every
  association of the agent targets it.
- retention: the same estate; alice sets another retention on one of its log groups; until
  it is the spec's again.
- quiet: the same estate converged; no change for `--quiet-minutes`; the operator's calls
  into the account by operation (per minute), its writes, its passes.
- storm: `--storm-tenants` Enforce GuardDuty tenants; per tenant, the sandbox delivers one
  real event (alice enables the enabled detector; a scratch rule with the operator's pattern
  sends it to a scratch queue), and `--storm-events` copies of that message body in all, each
  with its own event ids and times, go within `--storm-seconds` into the operator's queues as
  EventBridge delivers them (the sandbox's delivery endpoint, no API call), evenly paced
  (`--storm-via bus`: put on the default buses with PutEvents instead, for the sandbox to
  match and deliver, at its pace); until every queue is empty and no pass has run for 15 s:
  the backlog (sampled every second), the events the operator received, its peak RSS before
  and after, passes and wakes per GdprMonitoring, its AWS calls and CPU meanwhile.

`--hub`: the operator runs with an events hub (`--events-hub hub/eu-west-1`, AwsAccount
`hub` an account of its own): every tenant's events are forwarded to the hub's one queue
(the storm fills that queue), and the External stack forwards to the hub bus.

Prints each trial and, per case, the median and 95th percentile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

os.environ["GDPR_TOOLS_CHECK_ONLY"] = "1"  # tools come from scripts/build-tools, built before

from gdpr_operator.aws import AccountAccess, Aws, NotFoundError, Target, TemporaryAwsError
from gdpr_operator.reconcilers.drift_events import (
    BUS_NAME,
    IAM_EVENTS_REGION,
    QUEUE_NAME,
    event_pattern,
)
from gdpr_operator.sandbox import SandboxControl, other_principal, running_sandbox, setup_layer

from fixtures.calls import WRITE_PREFIXES
from fixtures.cluster import (
    Kubectl,
    cluster_environment,
    conditions_of,
    install,
    new_namespace,
    running_cluster,
    wait_for,
    wait_ready,
)
from fixtures.drift_events import (
    apply_hub_account,
    create_stack,
    instance_profile,
    targeted_by_associations,
)
from fixtures.estate import apply_estate, launch_request
from fixtures.operator import OperatorProcess, operator_process, running_operator
from fixtures.sandbox import new_scratch_account, sandbox_call
from peak_rss import peak_rss_mb

REGION = "eu-west-1"
SETUP_TIMEOUT_SECONDS = 240.0
TRIAL_TIMEOUT_SECONDS = 120.0
SELECTOR = {"gdpr-scope": "web", "team": "shop"}
PREFIX = "/gdpr/bench"
RETENTION_DAYS = 90
POLLING = {("sqs", "ReceiveMessage"), ("sqs", "DeleteMessageBatch")}
"""The queue's consumer, not a pass."""
STORM_IN_FLIGHT = 8
"""Storm batches (deliveries into a queue, or PutEvents) at once."""
RECEIVED = "gdpr_drift_events_received_total"
STORM_BATCH = {"queue": 50, "bus": 10}
"""Events a batch: PutEvents takes at most 10."""
HUB_ACCOUNT = "hub"
"""The events hub's AwsAccount (--hub)."""
SAMPLE = "gdpr-bench-storm-sample"
"""The scratch rule and queue a storm's event is sampled through."""
CASES = ("detector", "detector-observe", "instance", "retention", "quiet", "storm")


@dataclass(frozen=True)
class Hub:
    """The events hub's account (AwsAccount `hub`), whose one queue the operator polls."""

    account: AccountAccess

    @property
    def target(self) -> Target:
        return Target(self.account, REGION)

    @property
    def bus_arn(self) -> str:
        return f"arn:aws:events:{REGION}:{self.account.account_id}:event-bus/{BUS_NAME}"


@dataclass
class Bench:
    url: str
    admin: Kubectl
    operator: OperatorProcess
    args: argparse.Namespace
    hub: Hub | None = None

    @property
    def timeout(self) -> float:
        return TRIAL_TIMEOUT_SECONDS + float(self.args.delay)

    def trials(self) -> Iterator[int]:
        """1 to --trials, each after --pause seconds (from the end of the one before): a
        GdprMonitoring woken less than a second ago is woken again only after that second,
        so trials closer than that would measure the spacing, not a change alone."""
        for trial in range(1, self.args.trials + 1):
            if trial > 1:
                time.sleep(self.args.pause)
            yield trial

    def call(self, target: Target, service: str, operation: str, **params: Any) -> Any:
        return sandbox_call(self.url, target, service, operation, **params)


@dataclass(frozen=True)
class Tenant:
    namespace: str
    account: AccountAccess

    @property
    def target(self) -> Target:
        return Target(self.account, REGION)

    @property
    def alice(self) -> Target:
        return Target(other_principal(self.account.account_id, "alice"), REGION)

    @property
    def principal(self) -> str:
        return f"arn:aws:sts::{self.account.account_id}:assumed-role/Admin/alice"


def new_tenant(bench: Bench, mode: str = "Managed", **spec: Any) -> Tenant:
    """A fresh account and namespace, its GdprMonitoring converged (Ready True) and the
    operator polling its queue."""
    tenant = Tenant(new_namespace(bench.admin), new_scratch_account())
    apply_estate(
        bench.admin,
        tenant.namespace,
        tenant.account,
        drift_events=mode,
        resyncInterval="1h",
        **spec,
    )
    wait_ready(bench.admin, tenant.namespace, "True", timeout=SETUP_TIMEOUT_SECONDS)
    wait_consumed(bench, tenant.account)
    return tenant


def wait_consumed(bench: Bench, account: AccountAccess) -> None:
    """Until the operator consumes `account`'s events: it polls the account's queue, or,
    with --hub, the hub's bus lets the account put events (the hub's poller keeps that
    policy, so it polls)."""
    control = SandboxControl(bench.url)
    hub = bench.hub
    if hub is None:
        wait_for(
            "the operator polling the queue",
            lambda: control.call_count("sqs", "ReceiveMessage", account=account.account_id),
            timeout=SETUP_TIMEOUT_SECONDS,
        )
        return
    wait_for(
        "the hub's bus letting the account in",
        lambda: account.account_id in hub_bus_policy(bench, hub),
        timeout=SETUP_TIMEOUT_SECONDS,
    )


def hub_bus_policy(bench: Bench, hub: Hub) -> str:
    """The hub bus's resource policy; "" while the operator has not made the bus."""
    try:
        policy: str = bench.call(hub.target, "events", "describe_event_bus", Name=BUS_NAME).get(
            "Policy", ""
        )
    except NotFoundError:
        return ""
    return policy


def estate_spec() -> dict[str, Any]:
    """Enforce: GuardDuty, instances selected by SELECTOR, the agent, their log groups."""
    return {
        "managementPolicy": "Enforce",
        "instances": {"selector": {"tags": SELECTOR}},
        "cloudWatchAgent": {"presets": ["linux-system"]},
        "logs": {"groupPrefix": PREFIX, "retentionDays": RETENTION_DAYS},
    }


def drift_events(bench: Bench, tenant: Tenant) -> int:
    return sum(
        1
        for event in bench.admin.events(tenant.namespace, "web")
        if event["reason"] == "DriftDetected" and tenant.principal in event["message"]
    )


def more_drift_events(bench: Bench, tenant: Tenant, before: int) -> Callable[[], bool]:
    """Whether more than `before` DriftDetected Events name alice."""
    return lambda: drift_events(bench, tenant) > before


def profiled(bench: Bench, tenant: Tenant, instance_id: str) -> Callable[[], bool]:
    """Whether instance `instance_id` holds an instance profile."""
    return lambda: instance_profile(bench.url, tenant.target, instance_id) is not None


def until(bench: Bench, what: str, probe: Callable[[], Any], interval: float) -> float:
    """Seconds (monotonic) at which `probe` first held."""
    wait_for(what, probe, timeout=bench.timeout, interval=interval)
    return time.monotonic()


def until_each(
    bench: Bench, what: str, probes: dict[str, Callable[[], bool]], interval: float
) -> dict[str, float]:
    """Seconds (monotonic) at which each probe first held, polling those yet to hold."""
    done: dict[str, float] = {}

    def all_held() -> bool:
        for name, probe in probes.items():
            if name not in done and probe():
                done[name] = time.monotonic()
        return len(done) == len(probes)

    wait_for(what, all_held, timeout=bench.timeout, interval=interval)
    return done


def summary(name: str, values: list[float]) -> str:
    p95 = (
        statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    )
    return (
        f"{name}: median {statistics.median(values):.2f}s, p95 {p95:.2f}s "
        f"[{min(values):.2f}-{max(values):.2f}] over {len(values)} trials"
    )


def detector_case(bench: Bench) -> list[str]:
    tenant = new_tenant(bench, managementPolicy="Enforce")
    (detector,) = bench.call(tenant.target, "guardduty", "list_detectors")["DetectorIds"]
    repairs: list[float] = []
    events: list[float] = []
    for trial in bench.trials():
        before = drift_events(bench, tenant)
        changed = time.monotonic()
        disable = {"DetectorId": detector, "Enable": False}
        bench.call(tenant.alice, "guardduty", "update_detector", **disable)
        repaired = until(
            bench,
            "the detector re-enabled",
            lambda: (
                bench.call(tenant.target, "guardduty", "get_detector", DetectorId=detector)[
                    "Status"
                ]
                == "ENABLED"
            ),
            0.05,
        )
        repairs.append(repaired - changed)
        reported = until(
            bench,
            "the DriftDetected Event naming alice",
            more_drift_events(bench, tenant, before),
            0.2,
        )
        events.append(reported - changed)
        print(f"detector {trial}: repaired {repairs[-1]:.2f}s, Event {events[-1]:.2f}s", flush=True)
    return [summary("detector repaired", repairs), summary("detector Event naming alice", events)]


def detector_observe_case(bench: Bench) -> list[str]:
    account = new_scratch_account()
    target = Target(account, REGION)

    async def stack() -> None:
        async with setup_layer(bench.url) as aws:
            hub = {} if bench.hub is None else {"HubBusArn": bench.hub.bus_arn}
            await create_stack(aws, target, hub)
            # IAM's events are on the us-east-1 bus alone, which the tenant does not cover.
            await create_stack(aws, Target(account, IAM_EVENTS_REGION), {**hub, "IamOnly": "true"})

    asyncio.run(stack())
    tenant = Tenant(new_namespace(bench.admin), account)
    spec: dict[str, Any] = {"drift_events": "External", "resyncInterval": "1h"}
    # Enforce first makes the detector as the spec wants it; then Observe watches it.
    apply_estate(bench.admin, tenant.namespace, account, managementPolicy="Enforce", **spec)
    wait_ready(bench.admin, tenant.namespace, "True", timeout=SETUP_TIMEOUT_SECONDS)
    apply_estate(bench.admin, tenant.namespace, account, managementPolicy="Observe", **spec)
    wait_ready(bench.admin, tenant.namespace, "True", 2, timeout=SETUP_TIMEOUT_SECONDS)
    wait_consumed(bench, account)
    (detector,) = bench.call(target, "guardduty", "list_detectors")["DetectorIds"]

    def guardduty() -> dict[str, Any]:
        return conditions_of(bench.admin, tenant.namespace).get("GuardDuty", {})

    conditions: list[float] = []
    events: list[float] = []
    for trial in bench.trials():
        before = drift_events(bench, tenant)
        changed = time.monotonic()
        disable = {"DetectorId": detector, "Enable": False}
        bench.call(tenant.alice, "guardduty", "update_detector", **disable)
        reported = until(
            bench,
            "GuardDuty False naming alice",
            lambda: (
                guardduty().get("status") == "False"
                and tenant.principal in guardduty().get("message", "")
            ),
            0.1,
        )
        conditions.append(reported - changed)
        evented = until(
            bench,
            "the DriftDetected Event naming alice",
            more_drift_events(bench, tenant, before),
            0.2,
        )
        events.append(evented - changed)
        print(
            f"detector-observe {trial}: condition {conditions[-1]:.2f}s, Event {events[-1]:.2f}s",
            flush=True,
        )
        bench.call(target, "guardduty", "update_detector", DetectorId=detector, Enable=True)
        until(bench, "GuardDuty True again", lambda: guardduty().get("status") == "True", 0.2)
    return [
        summary("detector-observe condition naming alice", conditions),
        summary("detector-observe Event naming alice", events),
    ]


def instance_case(bench: Bench) -> list[str]:
    tenant = new_tenant(bench, **estate_spec())
    profiles: list[float] = []
    associations: list[float] = []
    for trial in bench.trials():
        changed = time.monotonic()
        reply = bench.call(
            tenant.alice,
            "ec2",
            "run_instances",
            **launch_request(SELECTOR),
        )
        instance_id: str = reply["Instances"][0]["InstanceId"]
        done = until_each(
            bench,
            f"{instance_id} profiled and targeted",
            {
                "profile": profiled(bench, tenant, instance_id),
                "association": partial(
                    targeted_by_associations, bench.url, tenant.target, instance_id
                ),
            },
            0.1,
        )
        profiles.append(done["profile"] - changed)
        associations.append(done["association"] - changed)
        print(
            f"instance {trial}: profile {profiles[-1]:.2f}s, associations {associations[-1]:.2f}s",
            flush=True,
        )
    return [
        summary("instance profile", profiles),
        summary("instance targeted by the agent's associations", associations),
    ]


def retention_case(bench: Bench) -> list[str]:
    tenant = new_tenant(bench, **estate_spec())
    groups = bench.call(tenant.target, "logs", "describe_log_groups", logGroupNamePrefix=PREFIX)
    group = groups["logGroups"][0]["logGroupName"]
    undone: list[float] = []

    def retention() -> Any:
        reply = bench.call(tenant.target, "logs", "describe_log_groups", logGroupNamePrefix=group)
        return reply["logGroups"][0].get("retentionInDays")

    for trial in bench.trials():
        changed = time.monotonic()
        days = (7, 14)[trial % 2]
        bench.call(
            tenant.alice, "logs", "put_retention_policy", logGroupName=group, retentionInDays=days
        )
        undone.append(
            until(
                bench,
                f"{group} at {RETENTION_DAYS} days",
                lambda: retention() == RETENTION_DAYS,
                0.05,
            )
            - changed
        )
        print(f"retention {trial}: {days} days undone in {undone[-1]:.2f}s", flush=True)
    return [summary("retention undone", undone)]


def counted(operator: OperatorProcess, counter: str) -> float:
    """The operator's counter `counter`, summed over its labels."""
    pattern = rf"^{counter}\{{[^}}]*\}} (\S+)$"
    return sum(float(value) for value in re.findall(pattern, operator.metrics(), re.M))


def reconciles(operator: OperatorProcess) -> float:
    return counted(operator, "gdpr_reconcile_total")


def aws_calls(operator: OperatorProcess) -> float:
    return counted(operator, "gdpr_aws_api_calls_total")


def operator_rss(operator: OperatorProcess) -> float:
    assert operator.process is not None
    return peak_rss_mb(operator.process.pid)


def operator_cpu(operator: OperatorProcess) -> float:
    """The operator's user + system CPU seconds so far."""
    assert operator.process is not None
    with open(f"/proc/{operator.process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quiet_case(bench: Bench) -> list[str]:
    tenant = new_tenant(bench, **estate_spec())
    target = tenant.target
    reply = bench.call(
        target,
        "ec2",
        "run_instances",
        **launch_request(SELECTOR),
    )
    instance_id = reply["Instances"][0]["InstanceId"]
    wait_for(
        "the launched instance converged",
        lambda: bench.call(target, "ec2", "describe_instances", InstanceIds=[instance_id])[
            "Reservations"
        ][0]["Instances"][0].get("IamInstanceProfile"),
        timeout=bench.timeout,
    )
    time.sleep(30)  # the events of the operator's own writes come back and are dropped
    control = SandboxControl(bench.url)
    minutes = bench.args.quiet_minutes
    since, passes, cpu = time.time(), reconciles(bench.operator), operator_cpu(bench.operator)
    print(f"quiet: {minutes:g} minutes without a change ...", flush=True)
    time.sleep(minutes * 60)
    calls: Counter[str] = Counter()
    for call in control.calls(since):
        if call["account"] == tenant.account.account_id:
            calls[f"{call['service']}:{call['operation']}"] += call["count"]
    writes = {
        name: n
        for name, n in calls.items()
        if name.split(":")[1].startswith(WRITE_PREFIXES) and tuple(name.split(":")) not in POLLING
    }
    lines = [
        f"quiet {minutes:g} min: {calls.total()} calls ({calls.total() / minutes:.1f}/min), "
        f"writes {sum(writes.values())} {writes or ''}, "
        f"passes {reconciles(bench.operator) - passes:g}, operator CPU "
        f"{operator_cpu(bench.operator) - cpu:.1f} s"
    ]
    lines += [f"  {name}: {n} ({n / minutes:.1f}/min)" for name, n in sorted(calls.items())]
    return lines


def sampled_envelope(bench: Bench, tenant: Tenant, detector: str) -> dict[str, Any]:
    """The event EventBridge delivers for one real UpdateDetector call by alice (the
    sandbox's CloudTrail event, enabling the enabled detector: no drift to repair): a scratch
    rule with the operator's pattern on the default bus sends it to a scratch queue, whose
    message body it is; rule and queue are then deleted."""
    target = tenant.target
    url = bench.call(target, "sqs", "create_queue", QueueName=SAMPLE)["QueueUrl"]
    arn = bench.call(
        target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    bench.call(target, "events", "put_rule", Name=SAMPLE, EventPattern=json.dumps(event_pattern()))
    bench.call(target, "events", "put_targets", Rule=SAMPLE, Targets=[{"Id": SAMPLE, "Arn": arn}])
    bench.call(tenant.alice, "guardduty", "update_detector", DetectorId=detector, Enable=True)
    messages = wait_for(
        "the sampled event",
        lambda: bench.call(target, "sqs", "receive_message", QueueUrl=url).get("Messages"),
        timeout=bench.timeout,
    )
    bench.call(target, "events", "remove_targets", Rule=SAMPLE, Ids=[SAMPLE])
    bench.call(target, "events", "delete_rule", Name=SAMPLE)
    bench.call(target, "sqs", "delete_queue", QueueUrl=url)
    envelope: dict[str, Any] = json.loads(messages[0]["Body"])
    return envelope


def fresh_copy(envelope: dict[str, Any]) -> dict[str, Any]:
    """`envelope` as if for another call made now: its own event ids and times."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    detail = {**envelope["detail"], "eventID": str(uuid.uuid4()), "eventTime": now}
    return {**envelope, "id": str(uuid.uuid4()), "time": now, "detail": detail}


@dataclass(frozen=True)
class StormQueue:
    """A queue the operator polls."""

    target: Target
    url: str


def storm_queues(bench: Bench, tenants: list[Tenant]) -> dict[str, StormQueue]:
    """The queue each tenant's events reach, by namespace: the events hub's one queue with
    --hub, else the tenant's own."""
    if bench.hub is not None:
        hub = StormQueue(bench.hub.target, queue_url(bench, bench.hub.target))
        return {tenant.namespace: hub for tenant in tenants}
    return {
        tenant.namespace: StormQueue(tenant.target, queue_url(bench, tenant.target))
        for tenant in tenants
    }


def queue_url(bench: Bench, target: Target) -> str:
    url: str = bench.call(target, "sqs", "get_queue_url", QueueName=QUEUE_NAME)["QueueUrl"]
    return url


async def send_batch(
    aws: Aws,
    control: SandboxControl,
    tenant: Tenant,
    queue: StormQueue,
    events: list[dict[str, Any]],
    *,
    via: str,
) -> None:
    """A batch of events: into the operator's queue as EventBridge delivers them (the
    sandbox's control endpoint), or on the tenant's default bus (PutEvents) for the sandbox
    to match and deliver."""
    if via == "queue":
        bodies = [json.dumps(event) for event in events]
        target = queue.target
        await asyncio.to_thread(
            control.deliver_messages, target.account_id, target.region, QUEUE_NAME, bodies
        )
        return
    entries = [
        {"Source": e["source"], "DetailType": e["detail-type"], "Detail": json.dumps(e["detail"])}
        for e in events
    ]
    reply = await aws.call(tenant.target, "events", "put_events", Entries=entries)
    assert reply.get("FailedEntryCount", 0) == 0, reply


@dataclass(frozen=True)
class Usage:
    """The operator's so far: peak RSS (MB), passes, events received, AWS calls, CPU (s)."""

    peak_rss: float
    passes: float
    received: float
    calls: float
    cpu: float

    @classmethod
    def of(cls, operator: OperatorProcess) -> Usage:
        return cls(
            operator_rss(operator),
            reconciles(operator),
            counted(operator, RECEIVED),
            aws_calls(operator),
            operator_cpu(operator),
        )


async def backlog(aws: Aws, queues: Iterable[StormQueue]) -> int:
    """The messages waiting in `queues` and those received but not deleted yet."""
    replies = await asyncio.gather(
        *(
            aws.call(
                queue.target,
                "sqs",
                "get_queue_attributes",
                QueueUrl=queue.url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )
            for queue in queues
        )
    )
    return sum(int(v) for reply in replies for v in reply["Attributes"].values())


def storm_case(bench: Bench) -> list[str]:
    tenants = [
        new_tenant(bench, managementPolicy="Enforce") for _ in range(bench.args.storm_tenants)
    ]
    envelopes = {
        tenant.namespace: sampled_envelope(
            bench,
            tenant,
            bench.call(tenant.target, "guardduty", "list_detectors")["DetectorIds"][0],
        )
        for tenant in tenants
    }
    queues = storm_queues(bench, tenants)
    total, seconds, via = bench.args.storm_events, bench.args.storm_seconds, bench.args.storm_via
    per_tenant = total // len(tenants)
    time.sleep(15)  # the sampled events' own passes are over before the counts begin
    log_before = bench.operator.log.read_text()
    before = Usage.of(bench.operator)
    # Batches of one tenant's events, the tenants' batches taking turns.
    size = STORM_BATCH[via]
    batches = [
        (tenant, min(size, per_tenant - start))
        for start in range(0, per_tenant, size)
        for tenant in tenants
    ]

    async def storm(aws: Aws) -> tuple[float, float, int]:
        """Sends the batches evenly over --storm-seconds while sampling the queues' backlog
        every second, until they are empty and no pass has run for 15 s: the seconds the
        sending took, those until the last pass, the peak backlog seen."""
        started = time.monotonic()
        in_flight = asyncio.Semaphore(STORM_IN_FLIGHT)
        control = SandboxControl(bench.url)

        async def send(index: int, tenant: Tenant, count: int) -> None:
            await asyncio.sleep(started + seconds * index / len(batches) - time.monotonic())
            async with in_flight:
                events = [fresh_copy(envelopes[tenant.namespace]) for _ in range(count)]
                await send_batch(aws, control, tenant, queues[tenant.namespace], events, via=via)

        sending = asyncio.gather(*(send(i, *batch) for i, batch in enumerate(batches)))
        sent: float | None = None
        peak = waiting = 0
        passes, last_pass = reconciles(bench.operator), started
        while sent is None or waiting > 0 or time.monotonic() - last_pass < 15:
            await asyncio.sleep(1.0)
            try:
                waiting = await backlog(aws, set(queues.values()))
            except TemporaryAwsError as error:  # a sandbox too busy to answer: the next one
                print(f"storm: backlog not sampled: {error}", flush=True)
                continue
            peak = max(peak, waiting)
            if (now := reconciles(bench.operator)) != passes:
                passes, last_pass = now, time.monotonic()
            if sent is None and sending.done():
                await sending  # its errors, if any
                sent = time.monotonic() - started
                print(f"storm: sent in {sent:.1f}s", flush=True)
        return sent, last_pass - started, peak

    async def timed_storm() -> tuple[float, float, int]:
        async with setup_layer(bench.url) as aws:
            return await asyncio.wait_for(storm(aws), timeout=seconds + 900)

    print(
        f"storm: {per_tenant * len(tenants)} events over {len(tenants)} tenants "
        f"in {seconds:g} s, via the {via} ...",
        flush=True,
    )
    sent_seconds, drained_after, peak_backlog = asyncio.run(timed_storm())
    after = Usage.of(bench.operator)
    passes = after.passes - before.passes
    log = bench.operator.log.read_text()[len(log_before) :]
    wakes = Counter(re.findall(r"drift events for ([^/\s]+)/web: reconciling now", log))
    runs = Counter(re.findall(r"Pass over ([^/\s]+)/web \(\S+\) begins", log))
    lines = [
        f"storm: {per_tenant * len(tenants)} events sent via the {via} in {sent_seconds:.1f}s "
        f"over {len(tenants)} tenants, {after.received - before.received:g} "
        f"received by the operator; queues empty and last pass {drained_after:.1f}s after the "
        f"first event; peak backlog seen {peak_backlog} messages",
        f"storm: operator peak RSS {before.peak_rss:.0f} MB before, {after.peak_rss:.0f} MB after",
        f"storm: passes {passes:g} in all, {passes / len(tenants):.1f} per GdprMonitoring; "
        f"operator AWS calls {after.calls - before.calls:g}, CPU {after.cpu - before.cpu:.1f} s",
    ]
    lines += [
        f"  {tenant.namespace}: woken {wakes[tenant.namespace]} times, "
        f"{runs[tenant.namespace]} passes"
        for tenant in tenants
    ]
    return lines


RUNNERS: dict[str, Callable[[Bench], list[str]]] = {
    "detector": detector_case,
    "detector-observe": detector_observe_case,
    "instance": instance_case,
    "retention": retention_case,
    "quiet": quiet_case,
    "storm": storm_case,
}


@contextmanager
def delivery_delay(seconds: float) -> Iterator[None]:
    previous = os.environ.get("GDPR_SANDBOX_EVENT_DELAY")
    os.environ["GDPR_SANDBOX_EVENT_DELAY"] = f"{seconds:g}"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["GDPR_SANDBOX_EVENT_DELAY"]
        else:
            os.environ["GDPR_SANDBOX_EVENT_DELAY"] = previous


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=CASES)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.0, help="event delivery delay (s)")
    parser.add_argument("--pause", type=float, default=2.0, help="between trials (s)")
    parser.add_argument(
        "--aws-read-timeout",
        type=float,
        help="the operator's (the test fixture's 5 s unless given; the shipped default is 15)",
    )
    parser.add_argument(
        "--hub",
        action="store_true",
        help="the operator with an events hub (--events-hub): one queue, in an account of its own",
    )
    parser.add_argument("--quiet-minutes", type=float, default=10.0)
    parser.add_argument("--storm-events", type=int, default=10_000)
    parser.add_argument("--storm-tenants", type=int, default=5)
    parser.add_argument("--storm-seconds", type=float, default=60.0)
    parser.add_argument(
        "--storm-via",
        choices=("queue", "bus"),
        default="queue",
        help="storm events sent onto the operator's queues, or put on the default buses",
    )
    args = parser.parse_args()
    cases = args.case or ["detector"]
    print(
        f"cases {', '.join(cases)}; {'events hub; ' if args.hub else ''}"
        f"delivery delay {args.delay:g} s; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    results: list[str] = []
    with tempfile.TemporaryDirectory(prefix="drift-events-") as scratch, delivery_delay(args.delay):
        directory = Path(scratch)
        env = cluster_environment(directory / "cluster")
        (directory / "operator").mkdir()
        with running_sandbox(seed=None) as url, running_cluster(env) as admin:
            install(admin)
            process = operator_process(admin, env, url, directory / "operator")
            hub = Hub(new_scratch_account()) if args.hub else None
            if hub is not None:
                apply_hub_account(admin, hub.account, HUB_ACCOUNT)
                process.command += ["--events-hub", f"{HUB_ACCOUNT}/{REGION}"]
            if args.aws_read_timeout is not None:  # the long poll waits a second less
                flag = process.command.index("--aws-read-timeout")
                process.command[flag + 1] = f"{args.aws_read_timeout:g}"
            with running_operator(process) as operator:
                bench = Bench(url, admin, operator, args, hub)
                for case in cases:
                    results += RUNNERS[case](bench)
                    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    print()
    for line in results:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
