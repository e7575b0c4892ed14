"""Read-only calls: the parameters, associations and association runs of one region."""

from __future__ import annotations

from collections.abc import Sequence

from gdpr_operator.aws import Target
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, OWNER_KEY
from gdpr_operator.reconcilers.cloudwatch_agent._diff import StoredConfig
from gdpr_operator.reconcilers.cloudwatch_agent._ssm import PARAMETER_PREFIX, Association


async def stored_configs(
    aws: AwsReads, target: Target, names: Sequence[str]
) -> dict[str, StoredConfig]:
    """The parameters called `names` (at most 10, one call) that exist, by name."""
    if not names:
        return {}
    reply = await aws.call(target, "ssm", "get_parameters", Names=list(names))
    return {
        parameter["Name"]: StoredConfig.from_api(parameter)
        for parameter in reply.get("Parameters", [])
    }


async def owned_parameters(aws: AwsReads, target: Target, owner: str) -> list[str]:
    """The names of the agent parameters tagged as created for `owner`, found by their tags."""
    filters = [
        {"Key": "Name", "Option": "BeginsWith", "Values": [PARAMETER_PREFIX]},
        {"Key": f"tag:{MANAGED_BY_KEY}", "Values": [MANAGED_BY_VALUE]},
        {"Key": f"tag:{OWNER_KEY}", "Values": [owner]},
    ]
    return [
        parameter["Name"]
        async for page in aws.paginate(
            target, "ssm", "describe_parameters", ParameterFilters=filters
        )
        for parameter in page.get("Parameters", [])
    ]


async def association_id(aws: AwsReads, target: Target, name: str) -> str | None:
    """The id of the association called `name` (an AssociationName), if there is one."""
    async for page in aws.paginate(
        target,
        "ssm",
        "list_associations",
        AssociationFilterList=[{"key": "AssociationName", "value": name}],
    ):
        for summary in page.get("Associations", []):
            if summary.get("AssociationName") == name:
                found: str = summary["AssociationId"]
                return found
    return None


async def observe_association(aws: AwsReads, target: Target, name: str) -> Association | None:
    """The association called `name`, parameters included (ListAssociations omits them)."""
    found = await association_id(aws, target, name)
    if found is None:
        return None
    reply = await aws.call(target, "ssm", "describe_association", AssociationId=found)
    return Association.from_api(reply["AssociationDescription"])


async def latest_runs(aws: AwsReads, target: Target, association: Association) -> dict[str, str]:
    """Instance id -> status of the association's latest run there, at its current version.

    Executions come newest first; reading stops at the first of an older version.
    """
    statuses: dict[str, str] = {}
    async for page in aws.paginate(
        target, "ssm", "describe_association_executions", AssociationId=association.id
    ):
        for execution in page.get("AssociationExecutions", []):
            if str(execution.get("AssociationVersion")) != association.version:
                return statuses
            async for targets in aws.paginate(
                target,
                "ssm",
                "describe_association_execution_targets",
                AssociationId=association.id,
                ExecutionId=execution["ExecutionId"],
            ):
                for run in targets.get("AssociationExecutionTargets", []):
                    statuses.setdefault(run["ResourceId"], run.get("Status", ""))
    return statuses
