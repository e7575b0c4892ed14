from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.model import (
    ManagementPolicy,
    OtherProfilePolicy,
    SpecError,
    apply_defaults,
    openapi_schema,
    parse_aws_account,
    parse_duration,
    parse_monitoring,
)

MINIMAL = {"accounts": ["prod"], "regions": ["eu-west-1"]}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("168h", 604800),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5 m", "m5", "5d", "1h 30m", "-5m"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_defaults_come_from_the_crd() -> None:
    spec = parse_monitoring(MINIMAL)
    assert spec.management_policy is ManagementPolicy.OBSERVE
    assert not spec.enforce
    assert spec.resync_interval_seconds is None  # not set: `effective_resync_interval`
    assert spec.logs.retention_days == 365
    assert spec.logs.kms_key_arn is None
    assert spec.guard_duty.finding_publishing_frequency == "FIFTEEN_MINUTES"
    assert spec.instances is None
    assert spec.audit_checks == (
        "cloudtrail.multi_region",
        "config.recorder",
        "vpc.flow_logs",
        "s3.access_logging",
    )


def test_nested_defaults_apply_inside_given_objects() -> None:
    spec = parse_monitoring({**MINIMAL, "instances": {"selector": {"tags": {"a": "b"}}}})
    assert spec.instances is not None
    assert spec.instances.role_name == "CloudWatchAgentServerRole"
    assert spec.instances.when_other_profile_attached is OtherProfilePolicy.REPORT


def test_apply_defaults_leaves_given_values_and_the_input_alone() -> None:
    given = {**MINIMAL, "logs": {"retentionDays": 30}}
    defaulted = apply_defaults(openapi_schema("GdprMonitoring")["properties"]["spec"], given)
    assert defaulted["logs"]["retentionDays"] == 30
    assert defaulted["logs"]["groupPrefix"] == "/gdpr"
    assert given == {**MINIMAL, "logs": {"retentionDays": 30}}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"regions": ["eu-west-1"]}, "spec.accounts"),
        ({**MINIMAL, "accounts": "prod"}, "spec.accounts"),
        ({**MINIMAL, "accounts": ["prod", 3]}, "spec.accounts[1]"),
        ({**MINIMAL, "managementPolicy": "Fix"}, "spec.managementPolicy"),
        ({**MINIMAL, "resyncInterval": "soon"}, "spec.resyncInterval"),
        ({**MINIMAL, "logs": {"retentionDays": "365"}}, "spec.logs.retentionDays"),
        ({**MINIMAL, "logs": {"retentionDays": True}}, "spec.logs.retentionDays"),
        ({**MINIMAL, "guardDuty": []}, "spec.guardDuty"),
        (
            {**MINIMAL, "instances": {"selector": {"tags": {"a": 1}}}},
            "spec.instances.selector.tags.a",
        ),
        (
            {**MINIMAL, "cloudWatchAgent": {"customLogFiles": [{"platform": "Linux"}]}},
            "spec.cloudWatchAgent.customLogFiles[0].filePath",
        ),
    ],
)
def test_errors_name_the_field(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_monitoring(spec)
    assert raised.value.field == field


def test_aws_account_with_and_without_a_role() -> None:
    own = parse_aws_account("own", {"accountId": "111111111111", "allowedNamespaces": ["a"]})
    assert own.assume_role is None
    assert own.allowed_namespaces == frozenset({"a"})
    assumed = parse_aws_account(
        "prod",
        {
            "accountId": "111111111111",
            "allowedNamespaces": [],
            "assumeRole": {
                "roleArn": "arn:aws:iam::111111111111:role/x",
                "externalIdSecretRef": {"name": "s", "key": "k"},
            },
        },
    )
    assert assumed.assume_role is not None
    assert assumed.assume_role.session_name == "gdpr-operator"
    assert assumed.assume_role.duration_seconds == 3600
    assert assumed.assume_role.external_id_secret is not None
    assert assumed.assume_role.external_id_secret.key == "k"


def test_spec_must_be_an_object() -> None:
    with pytest.raises(SpecError, match="spec: must be an object"):
        parse_monitoring(["prod"])
