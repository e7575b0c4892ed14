"""Check metadata: each check declares its id, the GDPR articles it serves and its IAM actions."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Scope(enum.StrEnum):
    """What one result of a check is about."""

    ACCOUNT = "account"
    ACCOUNT_REGION = "account-region"
    INSTANCE = "instance"
    LOG_GROUP = "log-group"
    PLATFORM = "account-region-platform"
    AUDIT = "audit"
    VPC = "vpc"


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """A check's identity card, kept beside the code that runs the check."""

    id: str
    summary: str
    articles: tuple[str, ...]
    scope: Scope
    iam_actions: frozenset[str]
