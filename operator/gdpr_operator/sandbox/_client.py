"""A client for the sandbox's control endpoints (/_gdpr/...), for tests, seeds and benches."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


class SandboxControl:
    """Switches faults, reads call counts, seeds findings, holds instance profile
    associations pending and ticks State Manager and the simulated agents in the sandbox at
    `url`."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def add_fault(self, service: str, fault: str, **match: Any) -> dict[str, Any]:
        """A fault rule (see `_faults`): e.g. add_fault("ec2", "throttle", region="eu-west-1",
        count=3)."""
        rule: dict[str, Any] = self._send(
            "POST", "faults", {"service": service, "fault": fault, **match}
        )
        return rule

    def faults(self) -> list[dict[str, Any]]:
        """[{service, fault, operation, account, region, count, rate, latency_ms}]: the fault
        rules in force, in the order they were added; `count` is what is left of each."""
        rules: list[dict[str, Any]] = self._send("GET", "faults")["faults"]
        return rules

    def clear_faults(self) -> None:
        self._send("DELETE", "faults")

    def calls(
        self, since: float | None = None, *, account: str | None = None
    ) -> list[dict[str, Any]]:
        """[{service, operation, account, region, count}] seen since the last clear; with
        `since` (seconds since the epoch), of the requests that arrived then or later; with
        `account`, of that account's requests alone (a sandbox shared with a running operator
        sees its calls too)."""
        path = "calls" if since is None else f"calls?since={since!r}"
        calls: list[dict[str, Any]] = self._send("GET", path)["calls"]
        return [call for call in calls if account in (None, call["account"])]

    def call_count(
        self,
        service: str,
        operation: str | None = None,
        *,
        account: str | None = None,
        region: str | None = None,
    ) -> int:
        return sum(
            c["count"]
            for c in self.calls()
            if c["service"] == service
            and operation in (None, c["operation"])
            and account in (None, c["account"])
            and region in (None, c["region"])
        )

    def clear_calls(self) -> None:
        self._send("DELETE", "calls")

    def seed_findings(
        self,
        account: str,
        region: str,
        findings: list[dict[str, Any]],
        detector_id: str | None = None,
    ) -> list[str]:
        """Add GuardDuty findings ({type, severity, resourceType?, instanceId?})."""
        body: dict[str, Any] = {"account": account, "region": region, "findings": findings}
        if detector_id is not None:
            body["detectorId"] = detector_id
        ids: list[str] = self._send("POST", "guardduty/findings", body)["findingIds"]
        return ids

    def deliver_messages(
        self, account: str, region: str, queue: str, bodies: list[str]
    ) -> list[str]:
        """Put `bodies` into queue `queue` (by name) as EventBridge delivers to a target (no
        API call); returns their message ids."""
        body = {"account": account, "region": region, "queue": queue, "bodies": bodies}
        ids: list[str] = self._send("POST", "sqs/messages", body)["messageIds"]
        return ids

    def hold_association(
        self, account: str, region: str, instance_id: str, state: str, reads: int | None = None
    ) -> dict[str, Any]:
        """Show the instance's profile association as `state` ("associating" or
        "disassociating") for the next `reads` DescribeIamInstanceProfileAssociations
        answers listing it (None: until `clear_association_holds`); see `_ext_ec2`."""
        body: dict[str, Any] = {
            "account": account,
            "region": region,
            "instanceId": instance_id,
            "state": state,
        }
        if reads is not None:
            body["reads"] = reads
        hold: dict[str, Any] = self._send("POST", "ec2/association-state", body)
        return hold

    def association_holds(self) -> list[dict[str, Any]]:
        """[{account, region, associationId, state, reads}]: the holds in force."""
        holds: list[dict[str, Any]] = self._send("GET", "ec2/association-state")["holds"]
        return holds

    def clear_association_holds(self) -> None:
        """End every hold: the associations are associated again."""
        self._send("DELETE", "ec2/association-state")

    def expire_sessions(self, account: str) -> int:
        """Expire the credentials assumed into `account` so far (ExpiredToken from now on);
        returns how many sessions that ended (those not expired already)."""
        expired: int = self._send("POST", "sts/expire-sessions", {"account": account})["expired"]
        return expired

    def put_config_evaluations(
        self, account: str, region: str, rule: str, evaluations: list[dict[str, str]]
    ) -> str:
        """Record a Config rule's evaluations ({resourceType, resourceId, complianceType});
        returns the rule's ARN."""
        body = {"account": account, "region": region, "rule": rule, "evaluations": evaluations}
        arn: str = self._send("POST", "config/evaluations", body)["configRuleArn"]
        return arn

    def set_support_plan(self, account: str, plan: str) -> None:
        """Give `account` a Support plan (basic, developer, business, enterprise-on-ramp,
        enterprise): the Support API answers under the last three only."""
        self._send("POST", "support/plan", {"account": account, "plan": plan})

    def tick_agents(self) -> list[dict[str, Any]]:
        """One tick of the simulated agents, as their loop's (`_agent_sim`): State Manager
        applies associations, then the agents ship. Returns what was put where:
        [{account, region, instanceId, logGroup, logStream, messages}]."""
        shipments: list[dict[str, Any]] = self._send("POST", "agents/tick")["shipments"]
        return shipments

    def apply_associations(self) -> list[dict[str, Any]]:
        """State Manager applying associations to the instances that came online, in every
        account and region (`_ext_ssm`); the runs it recorded: [{account, region,
        associationId, version, instanceIds}]."""
        runs: list[dict[str, Any]] = self._send("POST", "ssm/apply")["runs"]
        return runs

    def associations(self, account: str, region: str) -> list[dict[str, Any]]:
        """The State Manager associations of `account` in `region` as they stand (nothing is
        applied first), oldest first: [{associationId, name, version, latestStatuses:
        {instance id: status of its latest run at that version}, executions: [{executionId,
        version, created, statuses: {instance id: status}}], oldest first}]."""
        query = urllib.parse.urlencode({"account": account, "region": region})
        associations: list[dict[str, Any]] = self._send("GET", f"ssm/associations?{query}")[
            "associations"
        ]
        return associations

    def fail_association_run(
        self, account: str, region: str, association_id: str, instance_id: str
    ) -> dict[str, Any]:
        """Record a run of the association's current version that failed on the instance (a
        managed instance it targets): State Manager does not run that version there again,
        and no agent is configured by it. Returns the execution, as `associations` lists it."""
        body = {
            "account": account,
            "region": region,
            "associationId": association_id,
            "instanceId": instance_id,
        }
        execution: dict[str, Any] = self._send("POST", "ssm/failed-runs", body)
        return execution

    def profile(self) -> dict[str, Any]:
        """The profile in force: {name, latency, buckets, propagation} (see `_profile`)."""
        profile: dict[str, Any] = self._send("GET", "profile")["profile"]
        return profile

    def reset(self) -> None:
        """Forget all state: moto's, the extensions', faults and call counts."""
        self._send("POST", "reset")

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_gdpr/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
