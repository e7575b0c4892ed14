"""The audit checks' pure rules: what each call's answer means for compliance, and why."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from gdpr_operator.aws import iam_action
from gdpr_operator.model import parse_monitoring
from gdpr_operator.reconcilers import Reconciler
from gdpr_operator.reconcilers._vpcs import FlowLog
from gdpr_operator.reconcilers.audit import (
    CloudFrontWaf,
    CloudTrail,
    ConfigRecorder,
    ConfigRules,
    S3AccessLogging,
    S3ObjectLevelLogging,
    TrustedAdvisorSecurity,
    VpcFlowLogs,
    WafLogging,
)
from gdpr_operator.reconcilers.audit._cloudtrail_multi_region import (
    Trail,
    management_events,
    trail_verdict,
)
from gdpr_operator.reconcilers.audit._component import Verdict
from gdpr_operator.reconcilers.audit._config_recorder import Recorder, recorder_verdict
from gdpr_operator.reconcilers.audit._event_selectors import BOTH, READ, WRITE
from gdpr_operator.reconcilers.audit._s3_access_logging import LOGGING_OFF, bucket_verdicts
from gdpr_operator.reconcilers.audit._vpc_flow_logs import vpc_problem, vpc_verdicts

DEFAULTS: Sequence[Reconciler] = (
    CloudTrail(),
    ConfigRecorder(),
    VpcFlowLogs(),
    S3AccessLogging(),
)
"""The checks a GdprMonitoring gets when it does not list any: those it had before others
were added."""
OPT_IN: Sequence[Reconciler] = (
    CloudFrontWaf(),
    WafLogging(),
    S3ObjectLevelLogging(),
    ConfigRules(),
    TrustedAdvisorSecurity(),
)
COMPONENTS: Sequence[Reconciler] = (*DEFAULTS, *OPT_IN)
ARN = "arn:aws:cloudtrail:eu-central-1:111111111111:trail/org"


def _field(name: str, **condition: list[str]) -> dict[str, Any]:
    return {"Field": name, **condition}


def _management(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"FieldSelectors": [_field("eventCategory", Equals=["Management"]), *fields]}


@pytest.mark.parametrize(
    ("basic", "advanced", "logged"),
    [
        ([], [], frozenset()),
        # A trail's default selector, as GetEventSelectors returns it.
        (
            [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}],
            [],
            BOTH,
        ),
        ([{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}], [], {READ}),
        ([{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}], [], {WRITE}),
        ([{"ReadWriteType": "ReadOnly"}, {"ReadWriteType": "WriteOnly"}], [], BOTH),
        # Data events only.
        (
            [
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": False,
                    "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                }
            ],
            [],
            frozenset(),
        ),
        ([], [_management()], BOTH),
        ([], [_management(_field("readOnly", Equals=["true"]))], {READ}),
        ([], [_management(_field("readOnly", Equals=["false"]))], {WRITE}),
        ([], [_management(_field("readOnly", NotEquals=["true"]))], {WRITE}),
        (
            [],
            [
                _management(_field("readOnly", Equals=["true"])),
                _management(_field("readOnly", Equals=["false"])),
            ],
            BOTH,
        ),
        # Leaving KMS and RDS Data API events out still logs the account's management events.
        (
            [],
            [
                _management(
                    _field("eventSource", NotEquals=["kms.amazonaws.com", "rdsdata.amazonaws.com"])
                )
            ],
            BOTH,
        ),
        # One service's management events only.
        ([], [_management(_field("eventSource", Equals=["iam.amazonaws.com"]))], frozenset()),
        ([], [_management(_field("eventSource", StartsWith=["s3"]))], frozenset()),
        (
            [],
            [
                {
                    "FieldSelectors": [
                        _field("eventCategory", Equals=["Data"]),
                        _field("resources.type", Equals=["AWS::S3::Object"]),
                    ]
                }
            ],
            frozenset(),
        ),
    ],
)
def test_management_events(
    basic: list[dict[str, Any]], advanced: list[dict[str, Any]], logged: frozenset[str]
) -> None:
    assert management_events(basic, advanced) == logged


def _trail(logging: bool = True, management: frozenset[str] = BOTH, arn: str = ARN) -> Trail:
    return Trail(arn, logging, management)


@pytest.mark.parametrize(
    ("trails", "single_region", "verdict"),
    [
        ([], 0, Verdict("", "no multi-Region trail")),
        (
            [],
            2,
            Verdict(
                "", "no multi-Region trail (2 single-Region trail(s), which cover one Region each)"
            ),
        ),
        ([_trail()], 0, Verdict(ARN, None)),
        ([_trail(logging=False)], 0, Verdict(ARN, "trail org is not logging")),
        ([_trail(management=frozenset())], 0, Verdict(ARN, "trail org logs no management events")),
        (
            [_trail(management=frozenset({WRITE}))],
            0,
            Verdict(ARN, "trail org does not log read management events"),
        ),
        (
            [_trail(logging=False, management=frozenset())],
            0,
            Verdict(ARN, "trail org is not logging and logs no management events"),
        ),
        # Any compliant trail will do; otherwise the first one says what is wrong.
        ([_trail(logging=False), _trail(arn=ARN + "2")], 1, Verdict(ARN + "2", None)),
        (
            [_trail(logging=False), _trail(management=frozenset(), arn=ARN + "2")],
            0,
            Verdict(ARN, "trail org is not logging"),
        ),
    ],
)
def test_trail_verdict(trails: list[Trail], single_region: int, verdict: Verdict) -> None:
    assert trail_verdict(trails, single_region) == verdict


def test_trail_from_get_trail_status_and_get_event_selectors() -> None:
    trail = Trail.from_api(
        ARN,
        {"IsLogging": True, "LatestDeliveryTime": 1},
        {
            "TrailARN": ARN,
            "EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
        },
    )
    assert trail == Trail(ARN, True, frozenset({READ}))
    assert trail.name == "org"


def _recorder(
    recording: bool = True,
    all_supported: bool = True,
    last_status: str = "SUCCESS",
    last_error: str = "",
    name: str = "default",
) -> Recorder:
    return Recorder(name, all_supported, recording, last_status, last_error)


@pytest.mark.parametrize(
    ("recorders", "verdict"),
    [
        ([], Verdict("", "no AWS Config configuration recorder in this region")),
        ([_recorder()], Verdict("default", None)),
        ([_recorder(last_status="Pending")], Verdict("default", None)),
        ([_recorder(recording=False)], Verdict("default", "recorder default is not recording")),
        (
            [_recorder(all_supported=False)],
            Verdict("default", "recorder default records selected resource types only"),
        ),
        (
            [_recorder(recording=False, all_supported=False)],
            Verdict(
                "default",
                "recorder default is not recording and records selected resource types only",
            ),
        ),
        (
            [_recorder(last_status="Failure", last_error="AccessDenied")],
            Verdict("default", "recorder default failed its last recording attempt (AccessDenied)"),
        ),
        (
            [_recorder(last_status="FAILURE")],
            Verdict("default", "recorder default failed its last recording attempt (no code)"),
        ),
        # A service-linked recorder for one service's types, beside a compliant one.
        (
            [
                _recorder(all_supported=False, name="AWSConfigurationRecorderForSecurityHub"),
                _recorder(),
            ],
            Verdict("default", None),
        ),
    ],
)
def test_recorder_verdict(recorders: list[Recorder], verdict: Verdict) -> None:
    assert recorder_verdict(recorders) == verdict


def test_recorder_from_describe_calls() -> None:
    recorder = Recorder.from_api(
        {
            "name": "default",
            "roleARN": "arn:aws:iam::1:role/c",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False},
        },
        {
            "name": "default",
            "recording": True,
            "lastStatus": "Failure",
            "lastErrorCode": "NoSuchBucket",
        },
    )
    assert recorder == Recorder("default", True, True, "Failure", "NoSuchBucket")
    assert Recorder.from_api({"name": "r"}, {}) == Recorder("r", False, False, "", "")


def _flow_log(
    resource: str = "vpc-1",
    active: bool = True,
    error: str | None = None,
    flow_log_id: str = "fl-1",
) -> FlowLog:
    return FlowLog(flow_log_id, resource, active, error)


@pytest.mark.parametrize(
    ("flow_logs", "problem"),
    [
        ([], "no flow log"),
        ([_flow_log()], None),
        ([_flow_log(active=False)], "flow log fl-1 is not ACTIVE"),
        ([_flow_log(error="Access error")], "flow log fl-1 cannot deliver: Access error"),
        (
            [_flow_log(active=False), _flow_log(error="Rate limited", flow_log_id="fl-2")],
            "flow log fl-1 is not ACTIVE; flow log fl-2 cannot deliver: Rate limited",
        ),
        ([_flow_log(error="Access error"), _flow_log(flow_log_id="fl-2")], None),
    ],
)
def test_vpc_problem(flow_logs: list[FlowLog], problem: str | None) -> None:
    assert vpc_problem(flow_logs) == problem


def test_only_a_vpcs_own_flow_logs_count() -> None:
    flow_logs = [_flow_log("subnet-1"), _flow_log("eni-1"), _flow_log("vpc-2")]
    assert vpc_verdicts(["vpc-2", "vpc-1"], flow_logs) == [
        Verdict("vpc-1", "no flow log"),
        Verdict("vpc-2", None),
    ]


@pytest.mark.parametrize(
    ("item", "flow_log"),
    [
        (
            {
                "FlowLogId": "fl-1",
                "ResourceId": "vpc-1",
                "FlowLogStatus": "ACTIVE",
                "DeliverLogsStatus": "SUCCESS",
                "TrafficType": "REJECT",
            },
            dataclasses.replace(_flow_log(), traffic_type="REJECT"),
        ),
        (
            {
                "FlowLogId": "fl-1",
                "ResourceId": "vpc-1",
                "FlowLogStatus": "ACTIVE",
                "DeliverLogsStatus": "FAILED",
                "DeliverLogsErrorMessage": "Access error",
            },
            _flow_log(error="Access error"),
        ),
        (
            {
                "FlowLogId": "fl-1",
                "ResourceId": "vpc-1",
                "FlowLogStatus": "ACTIVE",
                "DeliverLogsStatus": "FAILED",
            },
            _flow_log(error="FAILED"),
        ),
        # "Rate limited" loses records but still delivers.
        (
            {
                "FlowLogId": "fl-1",
                "ResourceId": "vpc-1",
                "FlowLogStatus": "ACTIVE",
                "DeliverLogsStatus": "Rate limited",
            },
            _flow_log(),
        ),
    ],
)
def test_flow_log_from_describe_flow_logs(item: Mapping[str, Any], flow_log: FlowLog) -> None:
    assert FlowLog.from_api(item) == flow_log


@pytest.mark.parametrize(
    ("log_targets", "verdicts"),
    [
        ({}, []),
        (
            {"data": "logs", "logs": None, "plain": None},
            [
                Verdict("data", None),
                Verdict("logs", None, "log target bucket: holds the access logs of 1 bucket(s)"),
                Verdict("plain", LOGGING_OFF),
            ],
        ),
        # Logging to itself is logging; a bucket receiving only its own logs is no exemption.
        ({"self": "self"}, [Verdict("self", None)]),
        (
            {"a": "logs", "b": "logs", "logs": "audit", "audit": None},
            [
                Verdict("a", None),
                Verdict("audit", None, "log target bucket: holds the access logs of 1 bucket(s)"),
                Verdict("b", None),
                Verdict("logs", None),
            ],
        ),
        # A target the region does not hold (another region, gone) exempts nothing here.
        ({"data": "elsewhere"}, [Verdict("data", None)]),
    ],
)
def test_bucket_verdicts(log_targets: dict[str, str | None], verdicts: list[Verdict]) -> None:
    assert bucket_verdicts(log_targets) == verdicts


@pytest.mark.parametrize(
    ("component", "global_scope"),
    [
        (CloudTrail(), True),
        (ConfigRecorder(), False),
        (VpcFlowLogs(), False),
        (S3AccessLogging(), False),
        (CloudFrontWaf(), True),
        (WafLogging(), True),
        (S3ObjectLevelLogging(), False),
        (ConfigRules(), False),
        (TrustedAdvisorSecurity(), True),
    ],
)
def test_each_component_runs_where_aws_scopes_its_check(
    component: Reconciler, global_scope: bool
) -> None:
    assert component.global_scope is global_scope


def test_a_component_applies_when_the_spec_lists_its_check() -> None:
    defaulted = parse_monitoring({"accounts": ["a"], "regions": ["eu-west-1"]})
    assert defaulted.audit_checks == tuple(c.checks[0].id for c in DEFAULTS)
    # Checks added later are opted into: an upgrade adds none to a spec that lists none.
    assert [c.component for c in COMPONENTS if c.applies_to(defaulted)] == [
        c.component for c in DEFAULTS
    ]
    every = parse_monitoring(
        {
            "accounts": ["a"],
            "regions": ["eu-west-1"],
            "auditChecks": [c.checks[0].id for c in COMPONENTS],
        }
    )
    assert all(component.applies_to(every) for component in COMPONENTS)
    some = parse_monitoring(
        {"accounts": ["a"], "regions": ["eu-west-1"], "auditChecks": ["vpc.flow_logs"]}
    )
    assert [c.component for c in COMPONENTS if c.applies_to(some)] == ["VpcFlowLogs"]
    none = parse_monitoring({"accounts": ["a"], "regions": ["eu-west-1"], "auditChecks": []})
    assert not any(component.applies_to(none) for component in COMPONENTS)


def test_checks_declare_articles_and_read_actions_named_as_iam_names_them() -> None:
    reads = {
        iam_action("cloudtrail", "describe_trails"),
        iam_action("cloudtrail", "get_trail_status"),
        iam_action("cloudtrail", "get_event_selectors"),
        iam_action("ec2", "describe_regions"),
        iam_action("config", "describe_configuration_recorders"),
        iam_action("config", "describe_configuration_recorder_status"),
        iam_action("ec2", "describe_vpcs"),
        iam_action("ec2", "describe_flow_logs"),
        iam_action("s3", "list_buckets"),
        iam_action("s3", "get_bucket_logging"),
        iam_action("cloudfront", "list_distributions"),
        iam_action("wafv2", "get_logging_configuration"),
        iam_action("s3", "get_bucket_tagging"),
        iam_action("config", "describe_config_rules"),
        iam_action("config", "describe_compliance_by_config_rule"),
        iam_action("support", "describe_trusted_advisor_checks"),
        iam_action("support", "describe_trusted_advisor_check_summaries"),
    }
    assert "s3:ListAllMyBuckets" in reads
    declared = frozenset[str]().union(*(component.iam_actions for component in COMPONENTS))
    assert declared == reads
    for component in COMPONENTS:
        (check,) = component.checks
        assert check.articles
        assert check.iam_actions == component.iam_actions
        assert not any(
            action.split(":")[1].startswith(("Put", "Create", "Start", "Update"))
            for action in check.iam_actions
        )
