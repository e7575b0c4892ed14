"""deploy/events/drift-events.yaml, the CloudFormation template of AwsAccount events.mode
External: the committed file is what scripts/generate-drift-events-template writes from the
code, cfn-lint finds nothing in it, and it makes what the component checks (the same names,
event pattern, queue policy and target as Managed's, no parameters, the queue's URL and ARN
as outputs). tests/reconcilers/test_drift_events_external.py creates its stack in the
sandbox and shows an event flowing through it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from gdpr_operator.reconcilers.drift_events import (
    EXTERNAL_TEMPLATE,
    QUEUE_NAME,
    RULE_NAME,
    event_pattern,
    rendered_template,
)
from gdpr_operator.reconcilers.drift_events._diff import (
    RETENTION_SECONDS,
    TARGET_ID,
    policy_document,
)

from fixtures.deploy import REPO

TEMPLATE = REPO / EXTERNAL_TEMPLATE
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
STALE = f"{EXTERNAL_TEMPLATE} is stale: run scripts/generate-drift-events-template"


def _template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text("utf-8"))
    return loaded


def test_the_committed_template_is_what_the_code_generates() -> None:
    assert TEMPLATE.read_text("utf-8") == rendered_template(), STALE


def test_the_generator_prints_what_it_writes() -> None:
    printed = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate-drift-events-template"), "--stdout"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert printed == TEMPLATE.read_text("utf-8")


def test_cfn_lint_finds_nothing() -> None:
    lint = subprocess.run(
        [str(CFN_LINT), "--format", "parseable", str(TEMPLATE)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")


def test_it_makes_what_the_component_checks_under_the_same_names() -> None:
    template = _template()
    assert list(template["Parameters"]) == ["HubBusArn", "IamOnly"]
    assert template["Parameters"]["HubBusArn"]["Default"] == ""
    assert template["Parameters"]["IamOnly"]["Default"] == "false"
    resources = template["Resources"]
    assert {name: resource["Type"] for name, resource in resources.items()} == {
        "Queue": "AWS::SQS::Queue",
        "QueuePolicy": "AWS::SQS::QueuePolicy",
        "Rule": "AWS::Events::Rule",
        "ForwarderRole": "AWS::IAM::Role",
    }
    # Without a hub (the parameter empty): the queue and its policy; with one, the role.
    assert {name: resource.get("Condition") for name, resource in resources.items()} == {
        "Queue": "WithoutHub",
        "QueuePolicy": "WithoutHub",
        "Rule": None,
        "ForwarderRole": "WithHub",
    }
    queue_arn = {"Fn::GetAtt": ["Queue", "Arn"]}
    assert resources["Queue"]["Properties"] == {
        "QueueName": QUEUE_NAME,
        "MessageRetentionPeriod": int(RETENTION_SECONDS),
    }
    assert resources["QueuePolicy"]["Properties"] == {
        "Queues": [{"Ref": "Queue"}],
        "PolicyDocument": policy_document(queue_arn, {"Fn::GetAtt": ["Rule", "Arn"]}),
    }
    rule = resources["Rule"]["Properties"]
    assert (rule["Name"], rule["State"], rule["EventBusName"]) == (RULE_NAME, "ENABLED", "default")
    # IamOnly=true (us-east-1 where no GdprMonitoring covers it): IAM's calls alone.
    assert json.dumps(rule["EventPattern"], sort_keys=True) == json.dumps(
        {"Fn::If": ["IamEventsOnly", event_pattern(iam_only=True), event_pattern()]},
        sort_keys=True,
    )
    hub = {"Ref": "HubBusArn"}
    role = {"Fn::GetAtt": ["ForwarderRole", "Arn"]}
    assert rule["Targets"] == {
        "Fn::If": [
            "WithHub",
            [{"Id": TARGET_ID, "Arn": hub, "RoleArn": role}],
            [{"Id": TARGET_ID, "Arn": queue_arn}],
        ]
    }
    forwarder = resources["ForwarderRole"]["Properties"]
    (allowed,) = forwarder["Policies"][0]["PolicyDocument"]["Statement"]
    assert (allowed["Action"], allowed["Resource"]) == ("events:PutEvents", hub)
    (trusted,) = forwarder["AssumeRolePolicyDocument"]["Statement"]
    assert trusted["Principal"] == {"Service": "events.amazonaws.com"}
    assert template["Outputs"] == {
        "QueueUrl": {
            "Condition": "WithoutHub",
            "Description": "The queue the operator reads",
            "Value": {"Ref": "Queue"},
        },
        "QueueArn": {
            "Condition": "WithoutHub",
            "Description": "The queue's ARN",
            "Value": queue_arn,
        },
    }
    # No tag: the operator's tags would make the plumbing its own to change and release.
    assert not any("Tags" in resource["Properties"] for resource in resources.values())


def test_the_template_uses_no_yaml_alias() -> None:
    assert "&id" not in TEMPLATE.read_text("utf-8")
