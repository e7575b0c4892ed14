"""Instance profiles' pure diffs: the agent's role and profile, and each selected instance."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from gdpr_operator.model import InstancesSpec, OtherProfilePolicy
from gdpr_operator.reconcilers._delta import Call
from gdpr_operator.reconcilers.instance_profiles._instance_diff import (
    REPORT_ONLY,
    HeldProfile,
    ProfileAssociation,
    ProfiledInstance,
    attached_problem,
    instance_calls,
    instance_delta,
    permissions_problem,
    ssm_problem,
)
from gdpr_operator.reconcilers.instance_profiles._policy import (
    AGENT_POLICY_ARN,
    EC2_TRUST_POLICY,
    SSM_POLICY_ARN,
    required_policies,
)
from gdpr_operator.reconcilers.instance_profiles._role_diff import (
    IAM_PATH,
    Profile,
    Role,
    agent_role_calls,
    agent_role_deltas,
    not_owned,
    profile_problem,
    role_problem,
)


def repair(
    spec: InstancesSpec,
    role: Role | None,
    profile: Profile | None,
    tags: Mapping[str, str],
    permitted: tuple[str, ...],
) -> list[tuple[str, dict[str, object]]]:
    """The role's and profile's calls as (operation, parameters), each an account-wide IAM
    call."""
    calls = agent_role_calls(spec, role, profile, tags, permitted)
    assert all(call.service == "iam" and call.account_wide for call in calls)
    return [(call.operation, dict(call.params)) for call in calls]


def associate(instance_id: str, profile: str) -> tuple[Call, ...]:
    return (
        Call(
            "ec2",
            "associate_iam_instance_profile",
            {"InstanceId": instance_id, "IamInstanceProfile": {"Name": profile}},
        ),
    )


def replace_with(association_id: str, profile: str) -> tuple[Call, ...]:
    return (
        Call(
            "ec2",
            "replace_iam_instance_profile_association",
            {"AssociationId": association_id, "IamInstanceProfile": {"Name": profile}},
        ),
    )


def attach_policies(role: str, policy_arns: tuple[str, ...]) -> tuple[Call, ...]:
    """One call a policy, made once a pass for every instance and region holding the role."""
    return tuple(
        Call(
            "iam",
            "attach_role_policy",
            {"RoleName": role, "PolicyArn": arn},
            account_wide=True,
            once=True,
        )
        for arn in policy_arns
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
ASSOCIATED = ProfileAssociation(
    "iip-assoc-1", "arn:aws:iam::1:instance-profile/legacy", "associated"
)
ASSOCIATING = ProfileAssociation(
    "iip-assoc-2", f"arn:aws:iam::1:instance-profile/{NAME}", "associating"
)
ATTACH, REPLACE, REPORT = (
    OtherProfilePolicy.ATTACH_POLICIES,
    OtherProfilePolicy.REPLACE,
    OtherProfilePolicy.REPORT,
)


@pytest.mark.parametrize(
    ("instance", "attached", "permissions"),
    [
        (
            ProfiledInstance("i-1", None),
            "no instance profile attached",
            "no instance profile, so no role for the agent",
        ),
        (ProfiledInstance("i-1", ABLE), None, None),
        (
            ProfiledInstance("i-1", LEGACY),
            None,
            "role legacy-role (instance profile legacy) lacks CloudWatchAgentServerPolicy",
        ),
        (ProfiledInstance("i-1", EMPTY), None, "instance profile empty holds no role"),
        (
            ProfiledInstance("i-1", OURS),
            None,
            f"role {NAME} (instance profile {NAME}) lacks "
            "CloudWatchAgentServerPolicy, AmazonSSMManagedInstanceCore",
        ),
        (
            ProfiledInstance("i-1", None, ASSOCIATING),
            "profile association associating (in progress)",
            "waiting for the profile association (associating)",
        ),
        (
            ProfiledInstance("i-1", LEGACY, ASSOCIATED),
            None,
            "role legacy-role (instance profile legacy) lacks CloudWatchAgentServerPolicy",
        ),
    ],
)
def test_instance_problems(
    instance: ProfiledInstance, attached: str | None, permissions: str | None
) -> None:
    assert (attached_problem(instance), permissions_problem(instance)) == (attached, permissions)


@pytest.mark.parametrize(
    ("instance", "when_other", "fix"),
    [
        (ProfiledInstance("i-1", None), ATTACH, associate("i-1", NAME)),
        # Report is about other profiles.
        (ProfiledInstance("i-1", None), REPORT, associate("i-1", NAME)),
        (ProfiledInstance("i-1", None, ASSOCIATING), ATTACH, None),
        (ProfiledInstance("i-1", ABLE), REPLACE, None),
        (
            ProfiledInstance("i-1", LEGACY, ASSOCIATED),
            ATTACH,
            attach_policies("legacy-role", (AGENT_POLICY_ARN,)),
        ),
        (ProfiledInstance("i-1", LEGACY, ASSOCIATED), REPLACE, replace_with("iip-assoc-1", NAME)),
        (ProfiledInstance("i-1", LEGACY, ASSOCIATED), REPORT, None),
        (ProfiledInstance("i-1", EMPTY, ASSOCIATED), ATTACH, None),  # no role to attach to
        (ProfiledInstance("i-1", EMPTY, ASSOCIATED), REPLACE, replace_with("iip-assoc-1", NAME)),
        # No association id known: nothing to replace.
        (ProfiledInstance("i-1", LEGACY), REPLACE, None),
        (ProfiledInstance("i-1", OURS), ATTACH, None),  # the account component repairs our role
    ],
)
def test_instance_repairs(
    instance: ProfiledInstance, when_other: OtherProfilePolicy, fix: object
) -> None:
    assert instance_calls(instance, NAME, when_other) == (fix or ())


def test_ssm_sees_the_instance_or_not() -> None:
    assert ssm_problem("i-1", frozenset({"i-1"})) is None
    assert (ssm_problem("i-2", frozenset({"i-1"})) or "").startswith(
        "Systems Manager does not see the instance online"
    )


def test_the_role_and_profile_are_one_delta_their_calls_in_order_while_both_are_ours() -> None:
    (delta,) = agent_role_deltas(SPEC, None, None, TAGS, PERMITTED)
    assert [check.id for check in delta.problems] == ["iam.agent_role", "iam.instance_profile"]
    operations = [call.operation for call in delta.calls]
    assert (operations[0], operations[-1]) == ("create_role", "add_role_to_instance_profile")


def test_what_the_operator_does_not_own_is_a_delta_of_its_own_left_as_it_is() -> None:
    foreign_role = _role(trust=ADMIN_TRUST, tags={})
    role_delta, profile_delta = agent_role_deltas(SPEC, foreign_role, None, TAGS, PERMITTED)
    assert (role_delta.waits, role_delta.calls) == (True, ())
    # Its profile is reported, not created: it would pass the role on.
    assert (profile_delta.wrong, profile_delta.waits, profile_delta.calls) == (True, False, ())

    foreign_profile = _profile("legacy", path="/", tags={})
    role_delta, profile_delta = agent_role_deltas(
        SPEC, _role(policies=frozenset()), foreign_profile, TAGS, PERMITTED
    )
    assert {call.operation for call in role_delta.calls} == {"attach_role_policy"}
    assert (profile_delta.waits, profile_delta.calls) == (True, ())


MINE = Profile(NAME, f"arn:aws:iam::1:instance-profile{IAM_PATH}{NAME}", (NAME,), TAGS, IAM_PATH)


@pytest.mark.parametrize("enforce", [True, False])
def test_the_operators_profile_is_put_on_an_instance_only_when_it_is_its_own(
    enforce: bool,
) -> None:
    bare = ProfiledInstance("i-1", None)
    calls = instance_calls(bare, NAME, ATTACH)
    put = instance_delta(bare, calls, MINE, report_only=False, enforce=enforce)
    assert put.calls == calls
    foreign = Profile(NAME, "arn:aws:iam::1:instance-profile/" + NAME, (NAME,), {}, "/")
    refused = instance_delta(bare, calls, foreign, report_only=False, enforce=enforce)
    assert (refused.calls, refused.left_alone) == ((), not_owned("instance profile", NAME))
    # Not there: Enforce has nothing to put on (iam.instance_profile says why); Observe would.
    missing = instance_delta(bare, calls, None, report_only=False, enforce=enforce)
    assert (missing.calls, missing.waits) == (((), True) if enforce else (calls, False))


def test_no_repair_waits_or_under_report_says_report_leaves_it() -> None:
    legacy = ProfiledInstance("i-1", LEGACY, ASSOCIATED)
    waiting = instance_delta(legacy, (), None, report_only=False, enforce=True)
    assert (waiting.wrong, waiting.waits, waiting.not_repairable) == (True, True, "")
    reported = instance_delta(legacy, (), None, report_only=True, enforce=True)
    assert (reported.waits, reported.not_repairable) == (False, REPORT_ONLY)
