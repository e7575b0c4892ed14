"""Instance profiles' pure diffs: the agent's role and profile, and each selected instance."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from gdpr_operator.model import InstancesSpec, OtherProfilePolicy
from gdpr_operator.reconcilers.instance_profiles._diff import (
    IAM_PATH,
    Profile,
    Role,
    not_owned,
    profile_problem,
    repair,
    required_policies,
    role_problem,
)
from gdpr_operator.reconcilers.instance_profiles._instance_diff import (
    Associate,
    Association,
    AttachPolicies,
    HeldProfile,
    Instance,
    Replace,
    attached_problem,
    permissions_problem,
    ssm_problem,
)
from gdpr_operator.reconcilers.instance_profiles._instance_diff import repair as instance_repair
from gdpr_operator.reconcilers.instance_profiles._policy import (
    AGENT_POLICY_ARN,
    EC2_TRUST_POLICY,
    SSM_POLICY_ARN,
)

NAME = "CloudWatchAgentServerRole"
EXTRA = "arn:aws:iam::123456789012:policy/extra"
SPEC = InstancesSpec({"gdpr-scope": "web"}, NAME, (EXTRA,), OtherProfilePolicy.ATTACH_POLICIES)
TAGS = {"gdpr-operator:managed-by": "gdpr-operator"}
TAG_LIST = [{"Key": "gdpr-operator:managed-by", "Value": "gdpr-operator"}]
ALL = frozenset({AGENT_POLICY_ARN, SSM_POLICY_ARN, EXTRA})
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


PERMITTED = (EXTRA,)
"""What the AwsAccount permits of the spec's additional policies (`permitted_policy_arns`)."""


def _role(
    trust: Mapping[str, Any] = EC2_TRUST_POLICY,
    policies: frozenset[str] = ALL,
    path: str = IAM_PATH,
    tags: Mapping[str, str] = TAGS,
) -> Role:
    return Role(NAME, trust, policies, tags, path)


def _profile(*roles: str, path: str = IAM_PATH, tags: Mapping[str, str] = TAGS) -> Profile:
    arn = f"arn:aws:iam::123456789012:instance-profile{path}{NAME}"
    return Profile(NAME, arn, roles, tags, path)


def test_required_policies_are_the_agents_then_the_permitted_ones_without_repeats() -> None:
    assert required_policies((SSM_POLICY_ARN, EXTRA)) == (AGENT_POLICY_ARN, SSM_POLICY_ARN, EXTRA)


def test_a_policy_the_account_does_not_permit_is_neither_required_nor_attached() -> None:
    """The refusal is the Permitted condition's (model.denials), not the role's."""
    agent_only = _role(policies=frozenset({AGENT_POLICY_ARN, SSM_POLICY_ARN}))
    assert role_problem(SPEC, agent_only, ()) is None
    assert repair(SPEC, None, None, TAGS, permitted=()) == [
        call for call in repair(SPEC, None, None, TAGS, PERMITTED) if EXTRA not in str(call)
    ]
    assert not [call for call in repair(SPEC, None, None, TAGS, ()) if EXTRA in str(call)]


@pytest.mark.parametrize(
    ("role", "problem"),
    [
        (None, f"role {NAME} does not exist"),
        (_role(), None),
        (
            _role(trust=LAMBDA_TRUST),
            f"role {NAME}: its trust policy is not EC2's alone (ec2.amazonaws.com, sts:AssumeRole)",
        ),
        (
            _role(policies=frozenset({SSM_POLICY_ARN})),
            f"role {NAME}: policies not attached: CloudWatchAgentServerPolicy, extra",
        ),
        # Policies beyond the spec's are the owner's business.
        (_role(policies=ALL | {"arn:aws:iam::aws:policy/ReadOnlyAccess"}), None),
    ],
)
def test_role_problems(role: Role | None, problem: str | None) -> None:
    assert role_problem(SPEC, role, PERMITTED) == problem


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        (None, f"instance profile {NAME} does not exist"),
        (_profile(NAME), None),
        (_profile(), f"instance profile {NAME} holds no role"),
        (_profile("legacy"), f"instance profile {NAME} holds legacy, not {NAME}"),
    ],
)
def test_profile_problems(profile: Profile | None, problem: str | None) -> None:
    assert profile_problem(SPEC, profile) == problem


def test_nothing_exists_so_everything_is_created_in_order_under_the_path_and_tagged() -> None:
    assert repair(SPEC, None, None, TAGS, PERMITTED) == [
        (
            "create_role",
            {
                "RoleName": NAME,
                "Path": IAM_PATH,
                "AssumeRolePolicyDocument": json.dumps(EC2_TRUST_POLICY),
                "Tags": TAG_LIST,
                "Description": "CloudWatch agent and SSM on EC2 instances (gdpr-operator)",
            },
        ),
        ("attach_role_policy", {"RoleName": NAME, "PolicyArn": AGENT_POLICY_ARN}),
        ("attach_role_policy", {"RoleName": NAME, "PolicyArn": SSM_POLICY_ARN}),
        ("attach_role_policy", {"RoleName": NAME, "PolicyArn": EXTRA}),
        (
            "create_instance_profile",
            {"InstanceProfileName": NAME, "Path": IAM_PATH, "Tags": TAG_LIST},
        ),
        ("add_role_to_instance_profile", {"InstanceProfileName": NAME, "RoleName": NAME}),
    ]


ADMIN_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.mark.parametrize(
    ("role", "profile"),
    [
        # An admin's role at the root path, untagged: what a tenant naming it used to rewrite.
        (_role(trust=ADMIN_TRUST, policies=frozenset(), path="/", tags={}), None),
        # Under the operator's path but without its tag, or tagged but elsewhere.
        (_role(trust=ADMIN_TRUST, tags={}), None),
        (_role(trust=ADMIN_TRUST, path="/"), None),
    ],
)
def test_a_role_the_operator_does_not_own_gets_no_call_and_no_profile(
    role: Role, profile: Profile | None
) -> None:
    assert repair(SPEC, role, profile, TAGS, PERMITTED) == []
    assert role_problem(SPEC, role, PERMITTED) == not_owned("role", NAME)


def test_a_profile_the_operator_does_not_own_is_never_changed() -> None:
    foreign = _profile("legacy", path="/", tags={})
    assert repair(SPEC, _role(), foreign, TAGS, PERMITTED) == []
    assert profile_problem(SPEC, foreign) == not_owned("instance profile", NAME)
    assert "the account owner" in not_owned("role", NAME)


@pytest.mark.parametrize(
    ("role", "profile", "calls"),
    [
        (_role(), _profile(NAME), []),
        (
            _role(trust=LAMBDA_TRUST),
            _profile(NAME),
            [
                (
                    "update_assume_role_policy",
                    {"RoleName": NAME, "PolicyDocument": json.dumps(EC2_TRUST_POLICY)},
                )
            ],
        ),
        (
            _role(policies=frozenset({AGENT_POLICY_ARN, EXTRA})),
            _profile(NAME),
            [("attach_role_policy", {"RoleName": NAME, "PolicyArn": SSM_POLICY_ARN})],
        ),
        (
            _role(),
            _profile(),
            [("add_role_to_instance_profile", {"InstanceProfileName": NAME, "RoleName": NAME})],
        ),
        (
            _role(),
            _profile("legacy"),
            [
                (
                    "remove_role_from_instance_profile",
                    {"InstanceProfileName": NAME, "RoleName": "legacy"},
                ),
                ("add_role_to_instance_profile", {"InstanceProfileName": NAME, "RoleName": NAME}),
            ],
        ),
        (
            _role(),
            None,
            [
                (
                    "create_instance_profile",
                    {"InstanceProfileName": NAME, "Path": IAM_PATH, "Tags": TAG_LIST},
                ),
                ("add_role_to_instance_profile", {"InstanceProfileName": NAME, "RoleName": NAME}),
            ],
        ),
    ],
)
def test_drift_is_repaired_in_place_with_only_the_missing_calls(
    role: Role,
    profile: Profile | None,
    calls: list[tuple[str, dict[str, object]]],
) -> None:
    assert repair(SPEC, role, profile, TAGS, PERMITTED) == calls


ABLE = HeldProfile("able", "able-role", frozenset({AGENT_POLICY_ARN, SSM_POLICY_ARN}))
LEGACY = HeldProfile("legacy", "legacy-role", frozenset({SSM_POLICY_ARN}))
EMPTY = HeldProfile("empty", None, frozenset())
OURS = HeldProfile(NAME, NAME, frozenset())
ASSOCIATED = Association("iip-assoc-1", "arn:aws:iam::1:instance-profile/legacy", "associated")
ASSOCIATING = Association("iip-assoc-2", f"arn:aws:iam::1:instance-profile/{NAME}", "associating")
ATTACH, REPLACE, REPORT = (
    OtherProfilePolicy.ATTACH_POLICIES,
    OtherProfilePolicy.REPLACE,
    OtherProfilePolicy.REPORT,
)


@pytest.mark.parametrize(
    ("instance", "attached", "permissions"),
    [
        (
            Instance("i-1", None),
            "no instance profile attached",
            "no instance profile, so no role for the agent",
        ),
        (Instance("i-1", ABLE), None, None),
        (
            Instance("i-1", LEGACY),
            None,
            "role legacy-role (instance profile legacy) lacks CloudWatchAgentServerPolicy",
        ),
        (Instance("i-1", EMPTY), None, "instance profile empty holds no role"),
        (
            Instance("i-1", OURS),
            None,
            f"role {NAME} (instance profile {NAME}) lacks "
            "CloudWatchAgentServerPolicy, AmazonSSMManagedInstanceCore",
        ),
        (
            Instance("i-1", None, ASSOCIATING),
            "profile association associating (in progress)",
            "waiting for the profile association (associating)",
        ),
        (
            Instance("i-1", LEGACY, ASSOCIATED),
            None,
            "role legacy-role (instance profile legacy) lacks CloudWatchAgentServerPolicy",
        ),
    ],
)
def test_instance_problems(
    instance: Instance, attached: str | None, permissions: str | None
) -> None:
    assert (attached_problem(instance), permissions_problem(instance)) == (attached, permissions)


@pytest.mark.parametrize(
    ("instance", "when_other", "fix"),
    [
        (Instance("i-1", None), ATTACH, Associate("i-1", NAME)),
        (Instance("i-1", None), REPORT, Associate("i-1", NAME)),  # Report is about other profiles
        (Instance("i-1", None, ASSOCIATING), ATTACH, None),
        (Instance("i-1", ABLE), REPLACE, None),
        (
            Instance("i-1", LEGACY, ASSOCIATED),
            ATTACH,
            AttachPolicies("legacy-role", (AGENT_POLICY_ARN,)),
        ),
        (Instance("i-1", LEGACY, ASSOCIATED), REPLACE, Replace("iip-assoc-1", NAME)),
        (Instance("i-1", LEGACY, ASSOCIATED), REPORT, None),
        (Instance("i-1", EMPTY, ASSOCIATED), ATTACH, None),  # no role to attach to
        (Instance("i-1", EMPTY, ASSOCIATED), REPLACE, Replace("iip-assoc-1", NAME)),
        (Instance("i-1", LEGACY), REPLACE, None),  # no association id known: nothing to replace
        (Instance("i-1", OURS), ATTACH, None),  # the account component repairs our role
    ],
)
def test_instance_repairs(instance: Instance, when_other: OtherProfilePolicy, fix: object) -> None:
    assert instance_repair(instance, NAME, when_other) == fix


def test_ssm_sees_the_instance_or_not() -> None:
    assert ssm_problem("i-1", frozenset({"i-1"})) is None
    assert (ssm_problem("i-2", frozenset({"i-1"})) or "").startswith(
        "Systems Manager does not see the instance online"
    )
