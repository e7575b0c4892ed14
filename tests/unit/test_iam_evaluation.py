"""The sandbox's IAM policy evaluation: AWS's decision for one request (explicit Deny over
Allow over implicit deny), resources with wildcards and IAM paths, and each condition
operator the operator's generated policy uses."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.reconcilers import operator_policies
from gdpr_operator.sandbox import Authorization, Decision, decide

ALLOW, DENY, IMPLICIT = Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY
OWN = {"aws:ResourceTag/gdpr-operator:managed-by": "gdpr-operator"}
AGENT_ROLE = "arn:aws:iam::222233334444:role/gdpr-operator/web-agent"
OTHER_ROLE = "arn:aws:iam::222233334444:role/web-app"
AGENT_PROFILE = "arn:aws:iam::222233334444:instance-profile/gdpr-operator/web-agent"
INSTANCE = "arn:aws:ec2:eu-west-1:222233334444:instance/i-0123456789abcdef0"
AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(
    action: str | list[str], resource: str | list[str] = "*", **condition: Any
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def _decide(policy: dict[str, Any], action: str, resource: str = "*", **context: Any) -> Decision:
    return decide([policy], Authorization(action, resource, context))


def _decide_all(
    policies: list[dict[str, Any]], action: str, resource: str = "*", **context: Any
) -> Decision:
    return decide(policies, Authorization(action, resource, context))


def test_allow_explicit_deny_and_implicit_deny() -> None:
    policy = _policy(
        _allow("iam:*", "arn:aws:iam::*:role/*"),
        {"Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "*"},
    )
    assert _decide(policy, "iam:GetRole", OTHER_ROLE) is ALLOW
    assert _decide(policy, "iam:DeleteRole", OTHER_ROLE) is DENY
    assert _decide(policy, "ec2:DescribeInstances") is IMPLICIT
    assert decide([], Authorization("iam:GetRole", OTHER_ROLE)) is IMPLICIT


def test_several_policies_allow_what_any_allows_and_a_deny_in_any_wins() -> None:
    roles = _policy(_allow("iam:GetRole", "arn:aws:iam::*:role/*"))
    detectors = _policy(_allow("guardduty:ListDetectors"))
    denied = _policy({"Effect": "Deny", "Action": "iam:GetRole", "Resource": OTHER_ROLE})
    assert _decide_all([roles, detectors], "iam:GetRole", OTHER_ROLE) is ALLOW
    assert _decide_all([roles, detectors], "guardduty:ListDetectors") is ALLOW
    assert _decide_all([roles, detectors], "ec2:DescribeInstances") is IMPLICIT
    assert _decide_all([roles, detectors, denied], "iam:GetRole", OTHER_ROLE) is DENY
    assert _decide_all([denied, roles], "iam:GetRole", AGENT_ROLE) is ALLOW


def test_actions_match_case_insensitively_with_wildcards_and_not_action() -> None:
    assert _decide(_policy(_allow("ec2:describe*")), "ec2:DescribeInstances") is ALLOW
    assert _decide(_policy(_allow("ec2:Describe?pcs")), "ec2:DescribeVpcs") is ALLOW
    assert _decide(_policy(_allow("ec2:Describe?pcs")), "ec2:DescribeInstances") is IMPLICIT
    not_iam = _policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert _decide(not_iam, "ec2:RunInstances") is ALLOW
    assert _decide(not_iam, "iam:CreateRole") is IMPLICIT


def test_resources_are_scoped_by_iam_path_segment_by_segment() -> None:
    policy = _policy(_allow("iam:UpdateAssumeRolePolicy", "arn:aws:iam::*:role/gdpr-operator/*"))
    assert _decide(policy, "iam:UpdateAssumeRolePolicy", AGENT_ROLE) is ALLOW
    assert _decide(policy, "iam:UpdateAssumeRolePolicy", OTHER_ROLE) is IMPLICIT
    # An ARN is matched case-sensitively.
    assert _decide(policy, "iam:UpdateAssumeRolePolicy", AGENT_ROLE.upper()) is IMPLICIT
    not_own = _policy(
        {
            "Effect": "Allow",
            "Action": "iam:GetRole",
            "NotResource": "arn:aws:iam::*:role/gdpr-operator/*",
        }
    )
    assert _decide(not_own, "iam:GetRole", OTHER_ROLE) is ALLOW
    assert _decide(not_own, "iam:GetRole", AGENT_ROLE) is IMPLICIT


def test_string_equals_on_resource_and_request_tags() -> None:
    policy = _policy(_allow("iam:DeleteRole", StringEquals=OWN))
    assert _decide(policy, "iam:DeleteRole", AGENT_ROLE, **OWN) is ALLOW
    assert (
        _decide(
            policy,
            "iam:DeleteRole",
            AGENT_ROLE,
            **{"aws:ResourceTag/gdpr-operator:managed-by": "me"},
        )
        is IMPLICIT
    )
    # A key absent from the request fails a positive operator.
    assert _decide(policy, "iam:DeleteRole", AGENT_ROLE) is IMPLICIT
    # Condition keys are case-insensitive; values are not (but for IgnoreCase).
    assert (
        _decide(
            policy,
            "iam:DeleteRole",
            AGENT_ROLE,
            **{"AWS:resourcetag/gdpr-operator:managed-by": "gdpr-operator"},
        )
        is ALLOW
    )
    ignoring = _policy(_allow("iam:DeleteRole", StringEqualsIgnoreCase=OWN))
    assert (
        _decide(
            ignoring,
            "iam:DeleteRole",
            **{"aws:ResourceTag/gdpr-operator:managed-by": "GDPR-Operator"},
        )
        is ALLOW
    )


def test_negated_operators_and_if_exists() -> None:
    not_prod = _policy(
        _allow("ec2:RunInstances", StringNotEquals={"aws:RequestTag/env": ["prod", "staging"]})
    )
    assert _decide(not_prod, "ec2:RunInstances", **{"aws:RequestTag/env": "dev"}) is ALLOW
    assert _decide(not_prod, "ec2:RunInstances", **{"aws:RequestTag/env": "staging"}) is IMPLICIT
    assert _decide(not_prod, "ec2:RunInstances") is ALLOW  # absent: a negated operator holds
    not_like = _policy(_allow("ec2:RunInstances", StringNotLike={"aws:RequestTag/env": "prod*"}))
    assert _decide(not_like, "ec2:RunInstances", **{"aws:RequestTag/env": "production"}) is IMPLICIT
    if_exists = _policy(
        _allow("ec2:RunInstances", StringEqualsIfExists={"aws:RequestTag/env": "dev"})
    )
    assert _decide(if_exists, "ec2:RunInstances") is ALLOW
    assert _decide(if_exists, "ec2:RunInstances", **{"aws:RequestTag/env": "prod"}) is IMPLICIT


def test_string_like_and_arn_operators() -> None:
    like = _policy(_allow("ssm:PutParameter", StringLike={"ssm:Name": "AmazonCloudWatch-gdpr_*"}))
    assert _decide(like, "ssm:PutParameter", **{"ssm:Name": "AmazonCloudWatch-gdpr_web"}) is ALLOW
    assert _decide(like, "ssm:PutParameter", **{"ssm:Name": "AmazonCloudWatch-other"}) is IMPLICIT
    own_profile = {"ec2:NewInstanceProfile": "arn:aws:iam::*:instance-profile/gdpr-operator/*"}
    arn_like = _policy(_allow("ec2:AssociateIamInstanceProfile", INSTANCE, ArnLike=own_profile))
    assert (
        _decide(
            arn_like,
            "ec2:AssociateIamInstanceProfile",
            INSTANCE,
            **{"ec2:NewInstanceProfile": AGENT_PROFILE},
        )
        is ALLOW
    )
    assert (
        _decide(
            arn_like,
            "ec2:AssociateIamInstanceProfile",
            INSTANCE,
            **{"ec2:NewInstanceProfile": "arn:aws:iam::222233334444:instance-profile/web-app"},
        )
        is IMPLICIT
    )
    arn_equals = _policy(
        _allow("iam:AttachRolePolicy", ArnEquals={"iam:PolicyARN": [AGENT_POLICY]})
    )
    assert _decide(arn_equals, "iam:AttachRolePolicy", **{"iam:PolicyARN": AGENT_POLICY}) is ALLOW
    assert (
        _decide(
            arn_equals,
            "iam:AttachRolePolicy",
            **{"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"},
        )
        is IMPLICIT
    )
    arn_not = _policy(
        _allow(
            "iam:AttachRolePolicy", ArnNotLike={"iam:PolicyARN": "arn:aws:iam::aws:policy/Admin*"}
        )
    )
    assert _decide(arn_not, "iam:AttachRolePolicy", **{"iam:PolicyARN": AGENT_POLICY}) is ALLOW
    assert (
        _decide(
            arn_not,
            "iam:AttachRolePolicy",
            **{"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"},
        )
        is IMPLICIT
    )


def test_null_and_bool() -> None:
    untagged = _policy(_allow("logs:CreateLogGroup", Null={"aws:RequestTag/owner": "true"}))
    assert _decide(untagged, "logs:CreateLogGroup") is ALLOW
    assert _decide(untagged, "logs:CreateLogGroup", **{"aws:RequestTag/owner": "x"}) is IMPLICIT
    tagged = _policy(_allow("logs:CreateLogGroup", Null={"aws:RequestTag/owner": "false"}))
    assert _decide(tagged, "logs:CreateLogGroup", **{"aws:RequestTag/owner": "x"}) is ALLOW
    secure = _policy(_allow("s3:GetObject", Bool={"aws:SecureTransport": "true"}))
    assert _decide(secure, "s3:GetObject", **{"aws:SecureTransport": "True"}) is ALLOW
    assert _decide(secure, "s3:GetObject", **{"aws:SecureTransport": "false"}) is IMPLICIT
    assert _decide(secure, "s3:GetObject") is IMPLICIT


def test_for_all_values_and_for_any_value() -> None:
    keys = ["gdpr-operator:managed-by", "gdpr-operator:owner"]
    only_own = _policy(
        _allow("iam:CreateRole", **{"ForAllValues:StringEquals": {"aws:TagKeys": keys}})
    )
    assert _decide(only_own, "iam:CreateRole", **{"aws:TagKeys": keys[:1]}) is ALLOW
    assert _decide(only_own, "iam:CreateRole", **{"aws:TagKeys": [*keys, "extra"]}) is IMPLICIT
    # ForAllValues holds for a missing key (no tags at all), ForAnyValue does not.
    assert _decide(only_own, "iam:CreateRole") is ALLOW
    any_own = _policy(
        _allow("iam:CreateRole", **{"ForAnyValue:StringEquals": {"aws:TagKeys": keys}})
    )
    assert _decide(any_own, "iam:CreateRole", **{"aws:TagKeys": ["extra", keys[1]]}) is ALLOW
    assert _decide(any_own, "iam:CreateRole", **{"aws:TagKeys": ["extra"]}) is IMPLICIT
    assert _decide(any_own, "iam:CreateRole") is IMPLICIT


def test_every_condition_of_a_statement_must_hold() -> None:
    policies = list(operator_policies().values())
    create = {
        "aws:RequestTag/gdpr-operator:managed-by": "gdpr-operator",
        "aws:TagKeys": ["gdpr-operator:managed-by", "gdpr-operator:owner"],
    }
    assert _decide_all(policies, "iam:CreateRole", AGENT_ROLE, **create) is ALLOW
    # The managed-by tag missing, or another tag key added: refused.
    assert (
        _decide_all(
            policies, "iam:CreateRole", AGENT_ROLE, **{"aws:TagKeys": create["aws:TagKeys"]}
        )
        is IMPLICIT
    )
    extra = {**create, "aws:TagKeys": [*create["aws:TagKeys"], "cost-centre"]}
    assert _decide_all(policies, "iam:CreateRole", AGENT_ROLE, **extra) is IMPLICIT
    # Outside /gdpr-operator/, the same tags allow nothing.
    assert _decide_all(policies, "iam:CreateRole", OTHER_ROLE, **create) is IMPLICIT


def test_a_policy_the_evaluator_cannot_read_never_allows() -> None:
    unknown = _policy(_allow("ec2:RunInstances", NumericLessThan={"ec2:Count": "2"}))
    with pytest.raises(ValueError, match="NumericLessThan"):
        _decide(unknown, "ec2:RunInstances")
    with pytest.raises(ValueError, match="neither Resource nor NotResource"):
        _decide(_policy({"Effect": "Allow", "Action": "*"}), "ec2:RunInstances")
