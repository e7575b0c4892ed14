"""EC2 and SSM reads about the selected instances, one paginated call sequence per region each."""

from __future__ import annotations

from collections.abc import Mapping

from gdpr_operator.aws import Target
from gdpr_operator.reconcilers._access import AwsReads
from gdpr_operator.reconcilers.instance_profiles._instance_diff import Association

ASSOCIATIONS_PAGE = 1000
INSTANCE_INFORMATION_PAGE = 50
"""Each API's largest page."""
CURRENT_ASSOCIATION_STATES = ("associating", "associated", "disassociating")


async def current_associations(aws: AwsReads, target: Target) -> dict[str, Association]:
    """Instance id -> its profile association (pending ones included) in the region."""
    return {
        item["InstanceId"]: Association(
            item["AssociationId"],
            item.get("IamInstanceProfile", {}).get("Arn", ""),
            item.get("State", ""),
        )
        async for page in aws.paginate(
            target,
            "ec2",
            "describe_iam_instance_profile_associations",
            Filters=[{"Name": "state", "Values": list(CURRENT_ASSOCIATION_STATES)}],
            PaginationConfig={"PageSize": ASSOCIATIONS_PAGE},
        )
        for item in page.get("IamInstanceProfileAssociations", [])
    }


async def online_in_ssm(aws: AwsReads, target: Target, tags: Mapping[str, str]) -> frozenset[str]:
    """Ids of the selected instances Systems Manager sees online: one filtered listing."""
    filters = [{"Key": f"tag:{key}", "Values": [value]} for key, value in tags.items()]
    filters.append({"Key": "PingStatus", "Values": ["Online"]})
    return frozenset(
        {
            item["InstanceId"]
            async for page in aws.paginate(
                target,
                "ssm",
                "describe_instance_information",
                Filters=filters,
                PaginationConfig={"PageSize": INSTANCE_INFORMATION_PAGE},
            )
            for item in page.get("InstanceInformationList", [])
        }
    )


def profile_name(arn: str) -> str:
    """arn:aws:iam::123456789012:instance-profile/path/name -> name (unique in the account)."""
    return arn.rsplit("/", 1)[-1]
