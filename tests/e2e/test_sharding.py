"""Sharded mode on a real API server: several `gdpr-operator run --sharded` processes share the
GdprMonitorings, each reconciled by one replica at a time, as the membership Leases say.

The module has a control plane of its own (the session's runs a leader-mode operator over
every namespace). Evidence comes from three independent places: each replica's log (when
each pass began and wrote status), each replica's /metrics, and the Leases as the API server
showed them, sampled throughout.
"""

from __future__ import annotations

import itertools
import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from gdpr_operator.aws import Aws, Target
from gdpr_operator.handlers import shard_owner
from gdpr_operator.handlers._shards import MEMBER_LABEL
from gdpr_operator.handlers._wake_causes import CAUSES_ANNOTATION
from gdpr_operator.sandbox import SandboxControl, other_principal

from fixtures.cluster import (
    REPO,
    Kubectl,
    cluster_environment,
    install,
    new_namespace,
    running_cluster,
    wait_for,
)
from fixtures.estate import apply_estate
from fixtures.operator import OPERATOR_NAMESPACE, through_proxies
from fixtures.proxy import TcpProxy
from fixtures.sandbox import new_scratch_account
from fixtures.sharding import Replica, sharded_replica, start_member, wait_until_members

pytestmark = pytest.mark.e2e

LEASE_SECONDS = 4.0
"""Short, so that takeovers take seconds; the protocol's margins scale with it."""
MONITORINGS = 20
SHARDING_RBAC = REPO / "deploy" / "components" / "sharding" / "sharding.yaml"


@dataclass
class LeaseHistory:
    """Every state of the membership Leases the API server sent on a watch: each renewal,
    none missed (a list every so often would miss the ones between two lists)."""

    admin: Kubectl
    acquired: dict[str, float] = field(default_factory=dict)
    renewals: dict[str, list[float]] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    """Holder -> its Lease's leaseDurationSeconds."""
    deleted: dict[str, float] = field(default_factory=dict)
    """Holder -> when the watch showed its Lease deleted (a replica stopped gracefully)."""
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        api = client.CoordinationV1Api(config.new_client_from_config(str(self.admin.kubeconfig)))
        version = ""
        while not self._stop.is_set():
            stream = watch.Watch().stream(
                api.list_namespaced_lease,
                OPERATOR_NAMESPACE,
                label_selector=MEMBER_LABEL,
                resource_version=version,
                timeout_seconds=5,
            )
            try:
                for event in stream:
                    lease = event["object"]
                    version = lease.metadata.resource_version
                    holder = lease.spec.holder_identity
                    if event["type"] == "DELETED":
                        self.deleted[holder] = time.time()
                        continue
                    self.acquired[holder] = lease.spec.acquire_time.timestamp()
                    self.durations[holder] = float(lease.spec.lease_duration_seconds)
                    renewed = lease.spec.renew_time.timestamp()
                    self.renewals.setdefault(holder, []).append(renewed)
            except ApiException as error:
                if error.status != 410:
                    raise
                version = ""  # too old: list again (the renewals kept stay known)

    def stop(self) -> None:
        self._stop.set()

    def holders(self, at: float) -> set[str]:
        """The members that own objects at `at` by their Leases: joined a lease duration
        before (a newcomer waits that long), renewed less than a duration before, and not
        deleted yet."""
        return {
            holder
            for holder, since in self.acquired.items()
            if since + LEASE_SECONDS <= at < self.last_renewal(holder, at) + LEASE_SECONDS
            and at < self.deleted.get(holder, float("inf"))
        }

    def last_renewal(self, holder: str, at: float) -> float:
        return max((r for r in self.renewals.get(holder, []) if r <= at), default=-LEASE_SECONDS)


@dataclass
class Shards:
    admin: Kubectl
    env: dict[str, str]
    sandbox_url: str
    directory: Path
    namespace: str
    leases: LeaseHistory
    uids: dict[str, str] = field(default_factory=dict)
    """GdprMonitoring name -> uid, once `create_monitorings` made them."""
    replicas: list[Replica] = field(default_factory=list)
    started: int = 0

    def new_replica(self) -> Replica:
        """A replica not started yet (`start_replica` starts it)."""
        self.started += 1
        return sharded_replica(
            self.admin,
            self.env,
            self.sandbox_url,
            self.directory / f"r{self.started}",
            LEASE_SECONDS,
        )

    def start_replica(self, replica: Replica | None = None) -> Replica:
        self.replicas.append(start_member(replica or self.new_replica()))
        return self.replicas[-1]

    def create_monitorings(self) -> None:
        """The GdprMonitorings m0..m19 (once). Made while replicas run, each is first seen
        by a create event, which only its owner acts on: no pass is left to timing, as a
        first replica passing everything alone before a second joined would be."""
        if self.uids:
            return
        self.admin.apply(
            yaml.safe_dump_all(
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "GdprMonitoring",
                    "metadata": {"name": f"m{n}", "namespace": self.namespace},
                    "spec": {
                        "accounts": [self.namespace],
                        "regions": ["eu-west-1"],
                        "auditChecks": [],
                        "managementPolicy": "Observe",
                        # Passes on creation, on a takeover and on a join only: the
                        # moments that matter here, and no load besides.
                        "resyncInterval": "10m",
                    },
                }
                for n in range(MONITORINGS)
            )
        )
        listed = json.loads(
            self.admin.run("get", "gdprmonitorings", "-n", self.namespace, "-o", "json").stdout
        )
        self.uids = {item["metadata"]["name"]: item["metadata"]["uid"] for item in listed["items"]}

    def wait_for_passes(self, since: float, names: set[str], timeout: float) -> dict[str, set[str]]:
        """Monitoring name -> identities that wrote its status after `since`, once each of
        `names` has one; on a timeout, the names still without one and who holds what."""
        last: dict[str, set[str]] = {}

        def probe() -> dict[str, set[str]] | None:
            last.update(self.passes_since(since))
            return dict(last) if all(last[name] for name in names) else None

        try:
            done: dict[str, set[str]] = wait_for(
                f"a status written for {len(names)} GdprMonitorings", probe, timeout
            )
            return done
        except AssertionError as error:
            missing = sorted(name for name in names if not last.get(name))
            holders = sorted(self.leases.holders(time.time()))
            raise AssertionError(f"{error}; none yet for {missing} (holders: {holders})") from None

    def live(self) -> list[Replica]:
        return [r for r in self.replicas if r.alive()]

    def owners(self, identities: set[str]) -> dict[str, str | None]:
        return {name: shard_owner(uid, identities) for name, uid in self.uids.items()}

    def passes_since(self, since: float) -> dict[str, set[str]]:
        """Monitoring name -> identities that wrote its status after `since`."""
        names = {uid: name for name, uid in self.uids.items()}
        done: dict[str, set[str]] = {name: set() for name in self.uids}
        for replica in self.replicas:
            for uid, _, wrote in replica.passes():
                if wrote is not None and wrote > since and uid in names:
                    done[names[uid]].add(replica.identity)
        return done

    def assert_exported_by_owners(self, owners: dict[str, str | None]) -> None:
        """Each live replica's /metrics shows the series of its share, and no other."""
        for replica in self.live():
            share = {name for name, who in owners.items() if who == replica.identity}
            assert wait_for(
                f"{replica.identity}'s metrics: its share",
                lambda replica=replica, share=share: replica.exported() == share,
            )

    def assert_one_replica_at_a_time(self) -> None:
        """No two replicas' passes over one object overlap, and each pass (its start and its
        status write) fell to the object's owner among the Leases the API server showed."""
        by_uid: dict[str, list[tuple[float, float, str]]] = {}
        for replica in self.replicas:
            for uid, began, wrote in replica.passes():
                if uid not in self.uids.values():
                    continue
                ended = wrote if wrote is not None else began
                by_uid.setdefault(uid, []).append((began, ended, replica.identity))
                for moment in {began, ended}:
                    holders = self.leases.holders(moment)
                    assert shard_owner(uid, holders) == replica.identity, (
                        f"{replica.identity} acted on {uid} at {moment:.3f} while the Leases "
                        f"gave it to {shard_owner(uid, holders)} (holders: {sorted(holders)}; its "
                        f"last renewal {self.leases.last_renewal(replica.identity, moment):.3f})"
                    )
        for uid, passes in by_uid.items():
            passes.sort()
            for (_, end, first), (start, _, second) in itertools.pairwise(passes):
                assert first == second or end <= start, f"{uid}: {first} and {second} overlap"


@pytest.fixture(scope="module")
def shards(sandbox_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shards]:
    directory = tmp_path_factory.mktemp("sharding")
    env = cluster_environment(directory / "cluster")
    with running_cluster(env) as admin:
        install(admin)
        admin.apply(SHARDING_RBAC)
        namespace = new_namespace(admin)
        apply_estate(admin, namespace, new_scratch_account(), managementPolicy="Observe")
        admin.run("delete", "gdprmonitoring", "web", "-n", namespace)
        leases = LeaseHistory(admin)
        sampler = threading.Thread(target=leases.run, daemon=True)
        sampler.start()
        state = Shards(admin, env, sandbox_url, directory, namespace, leases)
        try:
            yield state
        finally:
            leases.stop()
            for replica in state.live():
                replica.process.stop()


def test_two_replicas_split_the_objects_and_a_killed_ones_move_within_the_lease(
    shards: Shards,
) -> None:
    first, second = shards.start_replica(), shards.start_replica()
    wait_until_members([first, second])
    started = time.time()
    shards.create_monitorings()
    both = {first.identity, second.identity}
    owners = shards.owners(both)
    assert set(owners.values()) == both, "20 objects over 2 replicas: each should own some"

    every = shards.wait_for_passes(started, set(owners), timeout=90)
    assert every == {name: {owners[name]} for name in owners}  # by its owner, only
    shards.assert_exported_by_owners(owners)

    killed_at = time.time()
    first.process.stop(signal.SIGKILL)
    moved = {name for name, who in owners.items() if who == first.identity}
    taken = wait_for(
        "the survivor to take the killed replica's objects over",
        lambda: second.alone_since(killed_at),
        timeout=30,
    )
    after_kill = shards.wait_for_passes(killed_at, moved, timeout=60)
    assert all(after_kill[name] == {second.identity} for name in moved)
    assert wait_for("the survivor to export every series", lambda: second.exported() == set(owners))
    handover = taken - killed_at
    sys_report(f"ownership moved {handover:.1f}s after SIGKILL (lease {LEASE_SECONDS:.0f}s)")
    # Gone once the survivor's lists showed the same renewTime for a lease duration: at most
    # a duration plus one renewal period (and a list's latency) after the last renewal.
    assert handover <= LEASE_SECONDS + LEASE_SECONDS / 7.5 * 2 + 1.0
    shards.assert_one_replica_at_a_time()


def test_a_third_replica_takes_about_a_third_and_nothing_is_lost(shards: Shards) -> None:
    while len(shards.live()) < 2:  # the first test leaves one
        shards.start_replica()
    two = shards.live()
    wait_until_members(two)
    shards.create_monitorings()  # made by the first test, unless it failed before
    before = shards.owners({r.identity for r in two})
    shards.assert_exported_by_owners(before)
    third = shards.start_replica()
    after = shards.owners({r.identity for r in two} | {third.identity})
    moved = {name for name in after if after[name] != before[name]}
    assert moved, "20 objects, a third replica: some should move"
    assert all(after[name] == third.identity for name in moved)  # none between the others
    joined = time.time()
    done = shards.wait_for_passes(joined, moved, timeout=90)
    assert all(done[name] == {third.identity} for name in moved)
    # Nothing lost: every object's series comes from its owner now, and from it alone.
    shards.assert_exported_by_owners(after)
    sys_report(f"2 -> 3 replicas: {len(moved)} of {MONITORINGS} objects moved")
    shards.assert_one_replica_at_a_time()


SLOW_SERVICES = ("ec2", "guardduty", "logs", "ssm", "iam", "sts")
"""What a pass calls: each call slowed, a pass lasts seconds, so some are under way at a cut."""


@pytest.mark.parametrize(
    "cut", [TcpProxy.black_hole, TcpProxy.close], ids=["black-hole", "refused"]
)
def test_a_replica_cut_off_from_the_api_server_stops_before_its_lease_could_pass(
    shards: Shards, sandbox: SandboxControl, cut: Callable[[TcpProxy], None]
) -> None:
    """Issue 20. One replica reaches the API server through a proxy that the test cuts
    (black hole: connections open and new stay silent; refused: all closed, new ones
    refused), and AWS through a proxy that notes when each request went out."""
    for replica in shards.live():  # the earlier tests': the objects go to these two alone
        replica.process.stop()
    for service in SLOW_SERVICES:
        sandbox.add_fault(service, "latency", latency_ms=2000)
    since = time.time()
    direct, cut_off = shards.start_replica(), shards.new_replica()
    api, aws = through_proxies(cut_off.process)
    try:
        shards.start_replica(cut_off)
        wait_until_members([direct, cut_off])
        shards.create_monitorings()
        owners = shards.owners({direct.identity, cut_off.identity})
        share = {shards.uids[name] for name, who in owners.items() if who == cut_off.identity}
        assert 0 < len(share) < MONITORINGS
        wait_for(
            "the replica's passes under way, their AWS requests going out",
            lambda: (
                any(uid in share and began > since for uid, began, _ in cut_off.passes())
                and bool(aws.sent)
                and aws.sent[-1] > since
            ),
        )
        cut_at = time.time()
        cut(api)
        exited = wait_for(
            "the cut-off replica to exit",
            lambda: None if cut_off.alive() else time.time(),
            timeout=30,
            interval=0.1,
        )
        taken = wait_for(
            "the other replica to take the cut-off one's objects over",
            lambda: direct.alone_since(cut_at),
            timeout=30,
        )
        moved = {name for name, who in owners.items() if who == cut_off.identity}
        after_cut = shards.wait_for_passes(cut_at, moved, timeout=60)
    finally:
        api.close()
        aws.close()
    assert cut_off.process.process is not None
    assert cut_off.process.process.returncode != 0
    log = cut_off.process.log.read_text()
    assert "Lease not renewed for" in log
    assert "gdpr-operator: Lease lost; exiting" in log

    # By the API server: the cut-off Lease could pass to another from this instant on.
    renewed = shards.leases.last_renewal(cut_off.identity, exited)
    could_pass = renewed + shards.leases.durations[cut_off.identity]
    actions = [at for _, began, wrote in cut_off.passes() for at in (began, wrote) if at]
    last_action = max([*actions, aws.sent[-1]])
    sys_report(
        f"cut off ({cut.__name__}): last action {last_action - cut_at:.1f}s after the cut, "
        f"exit {exited - cut_at:.1f}s; its Lease could pass {could_pass - cut_at:.1f}s after "
        f"the cut, the other took over {taken - cut_at:.1f}s after "
        f"({taken - could_pass:.1f}s after the Lease could pass; lease {LEASE_SECONDS:.0f}s)"
    )
    assert last_action < could_pass, (
        f"the cut-off replica acted {last_action - could_pass:.3f}s after its Lease could pass "
        f"(its last AWS request {aws.sent[-1] - could_pass:+.3f}s)"
    )
    assert taken > could_pass
    taken_over = [began for uid, began, _ in direct.passes() if uid in share and began > cut_at]
    assert taken_over
    assert min(taken_over) > could_pass
    # Every object keeps being passed: the cut-off one's by the other replica, since.
    assert all(
        direct.identity in after_cut[name]
        for name, who in owners.items()
        if who == cut_off.identity
    )
    assert wait_for("the survivor to export every series", lambda: direct.exported() == set(owners))
    shards.assert_one_replica_at_a_time()


async def test_the_owner_names_who_caused_drift_that_another_replica_received(
    shards: Shards, sandbox: SandboxControl, layer: Aws
) -> None:
    """Issues 19 and 20. GdprMonitorings of one account-region, split over two replicas, all
    woken by the one event alice's change brings: the replica that receives it wakes the
    other's objects with the causes, signed, and their owner's Events name alice."""
    while len(shards.live()) < 2:  # the earlier tests leave one, or none
        shards.start_replica()
    two = shards.live()[-2:]
    for replica in shards.live()[:-2]:
        replica.process.stop()
    wait_until_members(two)
    identities = {replica.identity for replica in two}
    namespace = new_namespace(shards.admin)
    account = new_scratch_account()
    apply_estate(
        shards.admin,
        namespace,
        account,
        drift_events="Managed",
        managementPolicy="Observe",
        resyncInterval="1h",
    )
    uids = {"web": shards.admin.get("gdprmonitoring", "web", namespace)["metadata"]["uid"]}
    while {shard_owner(uid, identities) for uid in uids.values()} != identities:
        name = f"w{len(uids)}"  # until each replica owns one of them
        shards.admin.apply(
            yaml.safe_dump(
                {
                    "apiVersion": "monitoring.gdpr.io/v1alpha1",
                    "kind": "GdprMonitoring",
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": {
                        "accounts": [namespace],
                        "regions": ["eu-west-1"],
                        "auditChecks": [],
                        "managementPolicy": "Observe",
                        "resyncInterval": "1h",
                    },
                }
            )
        )
        uids[name] = shards.admin.get("gdprmonitoring", name, namespace)["metadata"]["uid"]
    owners = {name: shard_owner(uid, identities) for name, uid in uids.items()}
    for name in uids:
        wait_for(
            f"{name}'s events plumbing in place",
            lambda name=name: drift_events_ready(shards.admin, namespace, name),
            timeout=60,
        )
    wait_for(
        "both replicas polling the account's queue",
        lambda: all(polls(replica) for replica in two),
        timeout=60,
    )

    alice = other_principal(account.account_id, "alice")
    await layer.call(Target(alice, "eu-west-1"), "guardduty", "create_detector", Enable=False)
    principal = f"arn:aws:sts::{account.account_id}:assumed-role/Admin/alice"

    def named(name: str) -> str | None:
        return next(
            (
                event["message"]
                for event in shards.admin.events(namespace, name)
                if event["reason"] == "DriftDetected" and principal in event["message"]
            ),
            None,
        )

    messages = {
        name: wait_for(f"{name}'s DriftDetected Event", lambda name=name: named(name), timeout=30)
        for name in uids
    }
    assert all("CreateDetector at " in message for message in messages.values())
    # One replica received the event; the other's objects learnt its causes from the wake.
    [receiver] = [replica for replica in two if acted(replica) > 0]
    carried_to = {name for name, who in owners.items() if who != receiver.identity}
    assert carried_to
    for name in carried_to:
        annotations = shards.admin.get("gdprmonitoring", name, namespace)["metadata"]["annotations"]
        assert CAUSES_ANNOTATION in annotations
    for name in set(uids) - carried_to:  # woken by their owner: nothing carried
        annotations = shards.admin.get("gdprmonitoring", name, namespace)["metadata"]["annotations"]
        assert CAUSES_ANNOTATION not in annotations
    assert not [e for r in two for e in r.log_lines() if CAUSES_ANNOTATION in e["message"]]
    sys_report(f"attribution carried to {len(carried_to)} of {len(uids)} objects")


def drift_events_ready(admin: Kubectl, namespace: str, name: str) -> bool:
    status = admin.get("gdprmonitoring", name, namespace).get("status", {})
    return any(
        condition["type"] == "DriftEvents" and condition["status"] == "True"
        for condition in status.get("conditions", [])
    )


def polls(replica: Replica) -> bool:
    """Whether `replica` has received from a drift events queue (by its /metrics: only
    this test's account has events consumed in this control plane)."""
    return bool(
        re.search(
            r'^gdpr_aws_api_calls_total\{[^}]*operation="ReceiveMessage"[^}]*\} [1-9]',
            replica.process.metrics(),
            re.M,
        )
    )


def acted(replica: Replica) -> float:
    """The GuardDuty change events `replica` received and woke GdprMonitorings for."""
    found = re.search(
        r'gdpr_drift_events_received_total\{component="GuardDuty",outcome="acted"\} (\S+)',
        replica.process.metrics(),
    )
    return float(found.group(1)) if found else 0.0


def sys_report(line: str) -> None:
    """A figure for the test log (pytest -s, or the captured output of a failure)."""
    print(f"sharding: {line}")
