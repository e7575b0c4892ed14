"""The flow logs' reads: the delivery role as IAM tells it (read once per pass for the account
component and every region; IAM is global, its calls go to the account's GLOBAL_REGION
target), and the role's inline policies for release. The region's VPCs and flow logs are the
pass's shared reads (`reconcilers._vpcs`), and the group is read as LogGroups reads its own."""

from __future__ import annotations

from gdpr_operator.aws import NotFoundError, Target
from gdpr_operator.reconcilers._base import Context, PassRead
from gdpr_operator.reconcilers._service_roles import ServiceRole, read_role
from gdpr_operator.reconcilers._targets import iam_target
from gdpr_operator.reconcilers.flow_logs._checks import ROLE_NAME
from gdpr_operator.reconcilers.flow_logs._role import policy_name

DELIVERY_ROLE = PassRead[tuple[str, str], ServiceRole | None]("iam.flow_logs_role")
"""The delivery role of (account id, flow log group), as the pass first read it."""


async def delivery_role(context: Context, target: Target, group: str) -> ServiceRole | None:
    """The role and its inline policy for `group`; None when there is no such role."""
    return await read_role(context.aws, iam_target(target), ROLE_NAME, policy_name(group))


async def shared_role(context: Context, target: Target, group: str) -> ServiceRole | None:
    """The role as this pass knows it: read once for every region."""
    return await context.reads.once(
        DELIVERY_ROLE, (target.account_id, group), lambda: delivery_role(context, target, group)
    )


def share_unchanged(context: Context, target: Target, group: str, role: ServiceRole | None) -> None:
    """Let the regional component use what the account component read, unchanged since."""
    context.reads.known(DELIVERY_ROLE, (target.account_id, group), role)


async def role_policies(context: Context, target: Target) -> list[str] | None:
    """The names of the role's inline policies; None when the role is gone."""
    try:
        return [
            name
            async for page in context.aws.paginate(
                iam_target(target), "iam", "list_role_policies", RoleName=ROLE_NAME
            )
            for name in page.get("PolicyNames", [])
        ]
    except NotFoundError:
        return None
