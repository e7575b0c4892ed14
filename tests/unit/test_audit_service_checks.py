"""The pure rules of the audit checks on other services' verdicts and on CloudFront: S3
data events, web ACLs and their logging, Config rules, Trusted Advisor."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.model import SpecError, parse_monitoring
from gdpr_operator.reconcilers.audit._cloudfront_waf_attached import (
    NO_WEB_ACL,
    distribution_verdicts,
)
from gdpr_operator.reconcilers.audit._component import Verdict
from gdpr_operator.reconcilers.audit._config_rules_compliance import NO_RULES, rule_verdicts
from gdpr_operator.reconcilers.audit._event_selectors import BOTH, READ, WRITE
from gdpr_operator.reconcilers.audit._s3_object_level_logging import (
    DataTrail,
    bucket_verdicts,
    selected,
)
from gdpr_operator.reconcilers.audit._trustedadvisor_security import (
    NO_SECURITY_CHECKS,
    security_verdicts,
)
from gdpr_operator.reconcilers.audit._waf_logging import logging_verdict, protecting_web_acls
from gdpr_operator.reconcilers.audit._web_acls import Distribution

WEB_ACL = "arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/0a1b"


def _trail(*, basic: Any = (), advanced: Any = (), logging: bool = True) -> DataTrail:
    return DataTrail("org", logging, list(basic), list(advanced))


def _objects(*values: str, kind: str = "All") -> dict[str, Any]:
    return {
        "ReadWriteType": kind,
        "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": list(values)}],
    }


def _data(**arn: list[str]) -> dict[str, Any]:
    fields: list[dict[str, Any]] = [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
    ]
    if arn:
        fields.append({"Field": "resources.ARN", **arn})
    return {"FieldSelectors": fields}


@pytest.mark.parametrize(
    ("trail", "events"),
    [
        (_trail(), frozenset()),
        (_trail(basic=[_objects("arn:aws:s3")]), BOTH),  # every bucket, the legacy form
        (_trail(basic=[_objects("arn:aws:s3:::")]), BOTH),
        (_trail(basic=[_objects("arn:aws:s3:::data/")]), BOTH),
        (_trail(basic=[_objects("arn:aws:s3:::data/", kind="ReadOnly")]), {READ}),
        (_trail(basic=[_objects("arn:aws:s3:::data/invoices/")]), frozenset()),  # a prefix
        (_trail(basic=[_objects("arn:aws:s3:::other/")]), frozenset()),
        (
            _trail(
                basic=[
                    {
                        "ReadWriteType": "All",
                        "DataResources": [
                            {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}
                        ],
                    }
                ]
            ),
            frozenset(),
        ),
        (_trail(advanced=[_data()]), BOTH),
        (_trail(advanced=[_data(StartsWith=["arn:aws:s3:::data/"])]), BOTH),
        (_trail(advanced=[_data(StartsWith=["arn:aws:s3:::da"])]), BOTH),
        (_trail(advanced=[_data(StartsWith=["arn:aws:s3:::data/logs/"])]), frozenset()),
        (_trail(advanced=[_data(NotStartsWith=["arn:aws:s3:::data/scratch/"])]), frozenset()),
        (_trail(advanced=[_data(NotStartsWith=["arn:aws:s3:::other/"])]), BOTH),
        (_trail(advanced=[_data(Equals=["arn:aws:s3:::data/one.csv"])]), frozenset()),
        (
            _trail(
                advanced=[
                    {
                        "FieldSelectors": [
                            *_data()["FieldSelectors"],
                            {"Field": "readOnly", "Equals": ["false"]},
                        ]
                    }
                ]
            ),
            {WRITE},
        ),
        (
            _trail(
                advanced=[
                    {
                        "FieldSelectors": [
                            *_data()["FieldSelectors"],
                            {"Field": "eventName", "Equals": ["GetObject"]},
                        ]
                    }
                ]
            ),
            frozenset(),
        ),
    ],
)
def test_which_data_events_of_a_bucket_a_trail_selects(
    trail: DataTrail, events: frozenset[str]
) -> None:
    assert trail.data_events("data") == events


def test_a_bucket_wants_read_and_write_data_events_from_a_logging_trail() -> None:
    everything = [_objects("arn:aws:s3")]
    assert bucket_verdicts(["data"], [_trail(basic=everything)]) == [
        Verdict("data", None, "data events recorded by trail org")
    ]
    assert bucket_verdicts(["data"], [_trail(basic=everything, logging=False)]) == [
        Verdict("data", "trail org selects its data events but is not logging")
    ]
    assert bucket_verdicts(
        ["data"], [_trail(basic=[_objects("arn:aws:s3", kind="WriteOnly")])]
    ) == [Verdict("data", "no trail records its read data events")]
    # Two trails, one for reads and one for writes, add up.
    reads = DataTrail("reads", True, [_objects("arn:aws:s3:::data/", kind="ReadOnly")], [])
    writes = DataTrail("writes", True, [_objects("arn:aws:s3", kind="WriteOnly")], [])
    assert bucket_verdicts(["logs", "data"], [reads, writes]) == [
        Verdict("data", None, "data events recorded by trail reads, writes"),
        Verdict("logs", "no trail records its read data events"),
    ]
    assert bucket_verdicts(["data"], []) == [Verdict("data", "no trail records its data events")]


def test_buckets_in_scope_carry_every_selected_tag() -> None:
    assert selected({"a": "1"}, {})
    assert selected({"a": "1", "b": "2"}, {"a": "1"})
    assert not selected({"a": "2"}, {"a": "1"})
    assert not selected({}, {"a": "1"})


def test_the_spec_selects_buckets_by_tag_or_takes_every_bucket() -> None:
    base = {"accounts": ["a"], "regions": ["eu-west-1"]}
    assert parse_monitoring(base).object_level_logging_tags == {}
    tagged = parse_monitoring(
        {**base, "s3ObjectLevelLogging": {"selector": {"tags": {"data": "personal"}}}}
    )
    assert tagged.object_level_logging_tags == {"data": "personal"}
    with pytest.raises(SpecError) as raised:
        parse_monitoring({**base, "s3ObjectLevelLogging": {"selector": {"tags": {"data": 1}}}})
    assert raised.value.field == "spec.s3ObjectLevelLogging.selector.tags.data"


def test_each_distribution_wants_a_web_acl() -> None:
    distributions = [
        Distribution.from_api({"Id": "E2", "WebACLId": ""}),
        Distribution.from_api({"Id": "E1", "WebACLId": WEB_ACL}),
        Distribution.from_api({"Id": "E3", "WebACLId": "classic-id"}),
    ]
    assert distribution_verdicts(distributions) == [
        Verdict("E1", None, "web ACL edge"),
        Verdict("E2", NO_WEB_ACL),
        Verdict("E3", None, "web ACL classic-id"),
    ]
    assert protecting_web_acls([*distributions, Distribution("E0", WEB_ACL)]) == {
        WEB_ACL: ["E0", "E1"],
        "classic-id": ["E3"],
    }


def test_a_web_acl_wants_logging_with_its_destination_named() -> None:
    firehose = "arn:aws:firehose:us-east-1:111111111111:deliverystream/aws-waf-logs-edge"
    assert logging_verdict(WEB_ACL, ["E1"], [firehose]) == Verdict(
        WEB_ACL, None, f"logs to {firehose}"
    )
    assert logging_verdict(WEB_ACL, ["E1", "E2"], None) == Verdict(
        WEB_ACL, "logging is off (protects E1, E2)"
    )
    assert logging_verdict(WEB_ACL, ["E1"], []) == Verdict(WEB_ACL, "logging is off (protects E1)")
    assert logging_verdict("classic-id", ["E3"], None) == Verdict(
        "classic-id", "an AWS WAF Classic web ACL (protects E3): its logging is not checked"
    )


def test_each_config_rule_reports_what_it_found() -> None:
    compliance = {
        "ok": {"ComplianceType": "COMPLIANT"},
        "none": {"ComplianceType": "NOT_APPLICABLE"},
        "bad": {
            "ComplianceType": "NON_COMPLIANT",
            "ComplianceContributorCount": {"CappedCount": 3, "CapExceeded": False},
        },
        "many": {
            "ComplianceType": "NON_COMPLIANT",
            "ComplianceContributorCount": {"CappedCount": 100, "CapExceeded": True},
        },
        "new": {"ComplianceType": "INSUFFICIENT_DATA"},
    }
    assert rule_verdicts([*compliance, "unlisted"], compliance) == [
        Verdict("bad", "non-compliant: 3 resource(s)"),
        Verdict("many", "non-compliant: 100+ resource(s)"),
        Verdict("new", "not evaluated yet (INSUFFICIENT_DATA)"),
        Verdict("none", None, "not applicable: no resource in the rule's scope"),
        Verdict("ok", None),
        Verdict("unlisted", "not evaluated yet (INSUFFICIENT_DATA)"),
    ]
    assert rule_verdicts([], {}) == [Verdict("", NO_RULES)]


def test_each_trusted_advisor_security_check_passes_only_when_ok() -> None:
    checks = [
        {"id": "a", "name": "MFA on Root Account", "category": "security"},
        {"id": "b", "name": "Amazon S3 Bucket Permissions", "category": "security"},
        {"id": "c", "name": "IAM Use", "category": "security"},
        {"id": "d", "name": "Exposed Access Keys", "category": "security"},
    ]
    flagged = {"resourcesProcessed": 4, "resourcesFlagged": 1}
    summaries = {
        "a": {"checkId": "a", "status": "error", "resourcesSummary": flagged},
        "b": {"checkId": "b", "status": "ok", "resourcesSummary": flagged},
        "c": {"checkId": "c", "status": "not_available"},
    }
    assert security_verdicts(checks, summaries) == [
        Verdict("Amazon S3 Bucket Permissions", None),
        Verdict(
            "Exposed Access Keys", "not available: Trusted Advisor could not evaluate this check"
        ),
        Verdict("IAM Use", "not available: Trusted Advisor could not evaluate this check"),
        Verdict("MFA on Root Account", "error: 1 of 4 resource(s) flagged"),
    ]
    assert security_verdicts([], {}) == [Verdict("", NO_SECURITY_CHECKS)]
