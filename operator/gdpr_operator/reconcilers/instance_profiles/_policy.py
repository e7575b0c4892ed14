"""The agent's policies, its role's trust, and what a role must carry. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AGENT_POLICY_ARN = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
SSM_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
AGENT_POLICY_ARNS = (AGENT_POLICY_ARN, SSM_POLICY_ARN)
"""What an instance's role must carry for the CloudWatch agent and SSM to work."""

EC2_TRUST_POLICY: Mapping[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
"""The agent role's trust: EC2 may assume it, so instances holding its profile get it."""


def required_policies(permitted: tuple[str, ...]) -> tuple[str, ...]:
    """The agent's and SSM's policies, then the spec's additional ones that its AwsAccount
    permits (`permitted_policy_arns`)."""
    return (*AGENT_POLICY_ARNS, *(arn for arn in permitted if arn not in AGENT_POLICY_ARNS))


def policy_names(arns: list[str] | tuple[str, ...]) -> list[str]:
    """Policy names for people: the last part of each ARN."""
    return [arn.rsplit("/", 1)[-1] for arn in arns]
