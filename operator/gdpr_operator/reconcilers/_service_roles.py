"""A role the operator owns for an AWS service to assume (the flow logs' delivery, the drift
events' forwarding to a hub): under its IAM path and tagged, with one trust policy and one
inline policy. `read_role` is its one read; the rest is pure. `service_role_grants` is how
narrowly the operator's IAM policy lets it make, change and pass such a role."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from gdpr_operator.aws import NotFoundError, Target, tag_list, tag_map
from gdpr_operator.model.grants import Grant
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._delta import Call
from gdpr_operator.reconcilers._documents import same_policy
from gdpr_operator.reconcilers._tags import IAM_PATH, TAGGED_AS_OWN, TAGGED_ON_CREATE, iam_owned


def service_role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role{IAM_PATH}{name}"


class ServiceRoleGrants(NamedTuple):
    """How far the operator's IAM policy lets it act on one service role."""

    create: Grant
    change: Grant
    passing: Grant


def service_role_grants(sid: str, name: str, service: str, why: str) -> ServiceRoleGrants:
    """The role `name`, by name under the operator's path, in any account: created with the
    operator's tags (`Create<sid>`), its trust and inline policy kept and deleted only while
    it carries them (`Change<sid>`), and passed to `service` only (`Pass<sid>`)."""
    arn = f"arn:aws:iam::*:role{IAM_PATH}{name}"
    return ServiceRoleGrants(
        Grant(
            sid=f"Create{sid}",
            actions=frozenset({"iam:CreateRole", "iam:TagRole"}),
            resources=(arn,),
            condition=TAGGED_ON_CREATE,
            why=f"{why}, by name under the operator's path, with its tags (and only those)",
        ),
        Grant(
            sid=f"Change{sid}",
            actions=frozenset(
                {
                    "iam:PutRolePolicy",
                    "iam:UpdateAssumeRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:DeleteRole",
                }
            ),
            resources=(arn,),
            condition=TAGGED_AS_OWN,
            why=f"{why}: its trust kept {service}'s (this account only) and its inline policy "
            "as declared; deleted on release",
        ),
        Grant(
            sid=f"Pass{sid}",
            actions=frozenset({"iam:PassRole"}),
            resources=(arn,),
            condition={"StringEquals": {"iam:PassedToService": service}},
            why=f"{why}, passed to {service} only",
        ),
    )


def service_trust(service: str, account_id: str) -> dict[str, Any]:
    """`service` may assume the role, on behalf of this account only (`aws:SourceAccount`,
    the confused-deputy guard AWS documents)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


@dataclass(frozen=True, slots=True)
class ServiceRole:
    """The role as GetRole and GetRolePolicy (of the inline policy asked for) tell."""

    path: str
    tags: Mapping[str, str]
    trust: Mapping[str, Any]
    policy: Mapping[str, Any] | None = None
    """The inline policy of the name asked for; None when the role has none of that name."""

    @property
    def owned(self) -> bool:
        """The operator's: under its path and tagged (what its IAM policy lets it change)."""
        return iam_owned(self.path, self.tags)


async def read_role(
    aws: AwsReads, target: Target, name: str, policy_name: str
) -> ServiceRole | None:
    """The role `name` with its inline policy `policy_name` (`target`: the account's IAM
    target); None when there is no such role."""
    try:
        role = (await aws.call(target, "iam", "get_role", RoleName=name))["Role"]
    except NotFoundError:
        return None
    try:
        reply = await aws.call(
            target, "iam", "get_role_policy", RoleName=name, PolicyName=policy_name
        )
        policy = reply["PolicyDocument"]
    except NotFoundError:
        policy = None
    return ServiceRole(
        path=role.get("Path", "/"),
        tags=tag_map(role.get("Tags", [])),
        trust=role.get("AssumeRolePolicyDocument", {}),
        policy=policy,
    )


@dataclass(frozen=True, slots=True)
class DeclaredRole:
    """What the role is to be."""

    name: str
    description: str
    trust: Mapping[str, Any]
    policy_name: str
    policy: Mapping[str, Any]


def role_calls(
    role: ServiceRole | None, declared: DeclaredRole, tags: Mapping[str, str]
) -> list[Call]:
    """The IAM calls, in order, that make `role` as declared: made (tagged), its trust
    updated, its inline policy put, whichever is missing or differs."""
    calls: list[Call] = []
    trust = json.dumps(declared.trust)
    if role is None:
        calls.append(
            Call.iam(
                "create_role",
                RoleName=declared.name,
                Path=IAM_PATH,
                AssumeRolePolicyDocument=trust,
                Description=declared.description,
                Tags=tag_list(tags),
            )
        )
    elif not same_policy(role.trust, declared.trust):
        calls.append(
            Call.iam("update_assume_role_policy", RoleName=declared.name, PolicyDocument=trust)
        )
    if role is None or role.policy is None or not same_policy(role.policy, declared.policy):
        calls.append(
            Call.iam(
                "put_role_policy",
                RoleName=declared.name,
                PolicyName=declared.policy_name,
                PolicyDocument=json.dumps(declared.policy),
            )
        )
    return calls
