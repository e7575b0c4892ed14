"""Read-only calls: the selected instances, the parameters, associations and association runs
of one region, and an SSM resource's tags."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from gdpr_operator.aws import Target, tag_map
from gdpr_operator.reconcilers import _instances
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers._base import Context
from gdpr_operator.reconcilers._tags import MANAGED_BY_KEY, MANAGED_BY_VALUE, OWNER_KEY, created_by
from gdpr_operator.reconcilers.cloudwatch_agent._diff import (
    AgentInstance,
    Delivery,
    Region,
    Run,
    targeted,
)
from gdpr_operator.reconcilers.cloudwatch_agent._presets import Platform
from gdpr_operator.reconcilers.cloudwatch_agent._render import configs_for
from gdpr_operator.reconcilers.cloudwatch_agent._resources import (
    PARAMETER_PREFIX,
    AgentAssociation,
    StoredConfig,
    configure_name,
    install_name,
    parameter_name,
    tag_targeted,
    targets,
)


async def selected_instances(context: Context, target: Target) -> tuple[AgentInstance, ...]:
    """The instances carrying every selector tag, sorted by id; none without a selector."""
    return tuple(
        AgentInstance(found.id, Platform.WINDOWS if found.windows else Platform.LINUX)
        for found in await _instances.selected_instances(context, target)
    )


async def region(context: Context, target: Target) -> Region:
    """The region's instances, parameters and associations, and what the spec wants there."""
    assert context.spec.instances is not None  # CloudWatchAgent.applies_to
    aws, owner = context.aws, context.owner
    selector = context.spec.instances.selector_tags
    configs = configs_for(context.spec)
    instances = await selected_instances(context, target)
    names = [install_name(owner), *(configure_name(owner, p) for p in configs)]
    stored, associations = await asyncio.gather(
        stored_configs(aws, target, [parameter_name(owner, p) for p in configs]),
        asyncio.gather(*(observe_association(aws, target, name) for name in names)),
    )
    per_platform = tag_targeted(selector, platforms=len(configs))
    return Region(
        owner=owner,
        configs=configs,
        instances=instances,
        stored=stored,
        associations=dict(zip(names, associations, strict=True)),
        install_targets=targets(selector, [i.id for i in instances], tag_targeted(selector)),
        configure_targets={
            platform: targets(
                selector, [i.id for i in instances if i.platform is platform], per_platform
            )
            for platform in configs
        },
    )


async def deliveries(aws: AwsReads, target: Target, region: Region) -> dict[Platform, Delivery]:
    """Per configured platform: its associations' problem, or where they have run (read only
    for the platforms whose associations lack nothing)."""

    async def runs(name: str) -> Run:
        association = region.associations.get(name)
        statuses = await latest_runs(aws, target, association) if association else {}
        return Run(name, statuses)

    owner = region.owner
    in_sync = [p for p in region.configs if region.delivery_problem(p) is None]
    install = await runs(install_name(owner)) if in_sync else Run(install_name(owner), {})
    configured = await asyncio.gather(*(runs(configure_name(owner, p)) for p in in_sync))
    by_platform = dict(zip(in_sync, configured, strict=True))
    return {
        platform: Delivery(
            problem=region.delivery_problem(platform),
            targeted=targeted(region.install_targets, region.configure_targets[platform]),
            install=install,
            configure=by_platform.get(platform, Run(configure_name(owner, platform), {})),
        )
        for platform in region.configs
    }


async def created_for(
    aws: AwsReads, target: Target, kind: str, resource_id: str, owner: str
) -> bool:
    """Whether the SSM resource (a "Parameter" or an "Association") is tagged as created for
    `owner`."""
    reply = await aws.call(
        target, "ssm", "list_tags_for_resource", ResourceType=kind, ResourceId=resource_id
    )
    return created_by(tag_map(reply.get("TagList", [])), owner)


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


async def observe_association(aws: AwsReads, target: Target, name: str) -> AgentAssociation | None:
    """The association called `name`, parameters included (ListAssociations omits them)."""
    found = await association_id(aws, target, name)
    if found is None:
        return None
    reply = await aws.call(target, "ssm", "describe_association", AssociationId=found)
    return AgentAssociation.from_api(reply["AssociationDescription"])


async def latest_runs(
    aws: AwsReads, target: Target, association: AgentAssociation
) -> dict[str, str]:
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
            async for runs in aws.paginate(
                target,
                "ssm",
                "describe_association_execution_targets",
                AssociationId=association.id,
                ExecutionId=execution["ExecutionId"],
            ):
                for run in runs.get("AssociationExecutionTargets", []):
                    statuses.setdefault(run["ResourceId"], run.get("Status", ""))
    return statuses
