"""Where moto alone answers unlike AWS, the sandbox answers as AWS does, from moto's state:
State Manager reaching instances that come online later, DescribeRegions of one partition with
opt-in statuses, instance profiles on every launched instance and after a replacement, and
instance profile associations held pending through the control API."""

from __future__ import annotations

import urllib.error
from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws, PermanentAwsError, Target
from gdpr_operator.model import GLOBAL_REGION, parse_monitoring
from gdpr_operator.reconcilers import Context
from gdpr_operator.reconcilers.cloudwatch_agent import CloudWatchAgent
from gdpr_operator.reconcilers.instance_profiles import AgentRole, InstanceProfiles
from gdpr_operator.reconcilers.log_groups import LogGroups
from gdpr_operator.sandbox import SandboxControl

from fixtures.botocore_shapes import assert_matches_output

REGION = "eu-west-1"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
EC2_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
WEB_TARGETS = [{"Key": "tag:gdpr-scope", "Values": ["web"]}]
CONFIGURE = {
    "action": ["configure"],
    "mode": ["ec2"],
    "optionalConfigurationSource": ["ssm"],
    "optionalConfigurationLocation": ["AmazonCloudWatch-test:1"],
}
# AWS's regions enabled by default (launched before 20 March 2019), and some opt-in ones.
DEFAULT_REGIONS = {
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
}
OPT_IN_REGIONS = {"af-south-1", "ap-east-1", "eu-south-1", "me-south-1", "ap-southeast-3"}


async def _profile(layer: Aws, account: AccountAccess, name: str, policies: list[str]) -> str:
    """An instance profile holding a role of the same name with `policies`; returns its ARN."""
    iam = Target(account, GLOBAL_REGION)
    await layer.call(iam, "iam", "create_role", RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    for policy in policies:
        await layer.call(iam, "iam", "attach_role_policy", RoleName=name, PolicyArn=policy)
    reply = await layer.call(iam, "iam", "create_instance_profile", InstanceProfileName=name)
    await layer.call(
        iam, "iam", "add_role_to_instance_profile", InstanceProfileName=name, RoleName=name
    )
    arn: str = reply["InstanceProfile"]["Arn"]
    return arn


async def _launch(layer: Aws, target: Target, count: int = 1, **params: Any) -> list[str]:
    reply = await layer.call(
        target,
        "ec2",
        "run_instances",
        ImageId="ami-760aaa0f",
        MinCount=count,
        MaxCount=count,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "gdpr-scope", "Value": "web"}]}
        ],
        **params,
    )
    return [instance["InstanceId"] for instance in reply["Instances"]]


async def _shown_profiles(
    layer: Aws, target: Target, instance_ids: list[str]
) -> dict[str, dict[str, str] | None]:
    """Instance id -> IamInstanceProfile as DescribeInstances shows it."""
    reply = await layer.call(target, "ec2", "describe_instances", InstanceIds=instance_ids)
    return {
        i["InstanceId"]: i.get("IamInstanceProfile")
        for r in reply["Reservations"]
        for i in r["Instances"]
    }


async def _association_states(
    layer: Aws, target: Target, instance_id: str, **filters: list[str]
) -> list[str]:
    reply = await layer.call(
        target,
        "ec2",
        "describe_iam_instance_profile_associations",
        Filters=[
            {"Name": "instance-id", "Values": [instance_id]},
            *({"Name": name, "Values": values} for name, values in filters.items()),
        ],
    )
    return [a["State"] for a in reply["IamInstanceProfileAssociations"]]


def _association(
    sandbox: SandboxControl, account: AccountAccess, association_id: str
) -> dict[str, Any]:
    """The association as the sandbox holds it now (nothing applied first)."""
    (association,) = (
        a
        for a in sandbox.associations(account.account_id, REGION)
        if a["associationId"] == association_id
    )
    return association


def _successes(association: dict[str, Any], instance_id: str) -> int:
    """How many runs of the association's current version succeeded on the instance."""
    return sum(
        e["version"] == association["version"] and e["statuses"].get(instance_id) == "Success"
        for e in association["executions"]
    )


def _ours(sandbox: SandboxControl, account: AccountAccess) -> list[tuple[str, tuple[str, ...]]]:
    """State Manager's tick; what it ran in `account`."""
    return [
        (run["associationId"], tuple(run["instanceIds"]))
        for run in sandbox.apply_associations()
        if run["account"] == account.account_id
    ]


# 1. State Manager applies associations to targets that come online later.


async def test_state_manager_runs_on_an_instance_once_it_comes_online(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    (web,) = await _launch(layer, target)  # no profile: SSM does not see it
    created = await layer.call(
        target,
        "ssm",
        "create_association",
        Name="AmazonCloudWatch-ManageAgent",
        Targets=WEB_TARGETS,
        Parameters=CONFIGURE,
    )
    association_id = created["AssociationDescription"]["AssociationId"]

    def association() -> dict[str, Any]:
        return _association(sandbox, scratch_account, association_id)

    assert _ours(sandbox, scratch_account) == []
    assert _successes(association(), web) == 0

    core = await _profile(layer, scratch_account, "core", [SSM_CORE])
    await layer.call(
        target,
        "ec2",
        "associate_iam_instance_profile",
        InstanceId=web,
        IamInstanceProfile={"Arn": core},
    )
    sandbox.apply_associations()  # the tick (the background loop's may have come first)
    assert _successes(association(), web) == 1
    assert association()["latestStatuses"] == {web: "Success"}
    assert _ours(sandbox, scratch_account) == []  # a second tick: no second run at that version
    assert _successes(association(), web) == 1

    # What the operator reads (each read applies too: still that one run).
    executions = await layer.call(
        target, "ssm", "describe_association_executions", AssociationId=association_id
    )
    assert_matches_output("ssm", "DescribeAssociationExecutions", executions)
    (newest, *_) = executions["AssociationExecutions"]
    assert (newest["AssociationVersion"], newest["ResourceCountByStatus"]) == ("1", "{Success=1}")
    runs = await layer.call(
        target,
        "ssm",
        "describe_association_execution_targets",
        AssociationId=association_id,
        ExecutionId=newest["ExecutionId"],
    )
    assert [(t["ResourceId"], t["Status"]) for t in runs["AssociationExecutionTargets"]] == [
        (web, "Success")
    ]
    assert _successes(association(), web) == 1


async def test_state_manager_reaches_started_and_later_launched_instances_once_per_version(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await _profile(layer, scratch_account, "core", [SSM_CORE])
    (stopped,) = await _launch(layer, target, IamInstanceProfile={"Name": "core"})
    await layer.call(target, "ec2", "stop_instances", InstanceIds=[stopped])
    created = await layer.call(
        target,
        "ssm",
        "create_association",
        Name="AmazonCloudWatch-ManageAgent",
        Targets=WEB_TARGETS,
        Parameters=CONFIGURE,
    )
    association_id = created["AssociationDescription"]["AssociationId"]

    def association() -> dict[str, Any]:
        return _association(sandbox, scratch_account, association_id)

    assert association()["latestStatuses"] == {stopped: "Pending"}

    await layer.call(target, "ec2", "start_instances", InstanceIds=[stopped])
    (later,) = await _launch(layer, target, IamInstanceProfile={"Name": "core"})
    # No tick: reading the instance's associations applies them first.
    status = await layer.call(
        target, "ssm", "describe_instance_associations_status", InstanceId=later
    )
    assert [s["Status"] for s in status["InstanceAssociationStatusInfos"]] == ["Success"]
    assert association()["latestStatuses"] == {stopped: "Success", later: "Success"}

    # A new version runs once more on each, at its update; nothing is left for a tick.
    await layer.call(
        target,
        "ssm",
        "update_association",
        AssociationId=association_id,
        Parameters={**CONFIGURE, "optionalRestart": ["yes"]},
    )
    assert _ours(sandbox, scratch_account) == []
    assert [_successes(association(), i) for i in (stopped, later)] == [1, 1]
    assert len(association()["executions"]) == 3  # created, applied, updated


async def test_the_operators_first_pass_is_completed_by_state_manager(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    """Components run concurrently: the agent's associations can exist before the profile
    is attached. The instance then gets its runs once SSM sees it, without another write."""
    target = Target(scratch_account, REGION)
    (web,) = await _launch(layer, target)
    context = Context.of(
        layer,
        parse_monitoring(
            {
                "accounts": [scratch_account.name],
                "regions": [REGION],
                "managementPolicy": "Enforce",
                "instances": {"selector": {"tags": {"gdpr-scope": "web"}}},
                "cloudWatchAgent": {"presets": ["linux-system"]},
            }
        ),
        "security/web",
    )

    await LogGroups().reconcile(context, target)
    first = await CloudWatchAgent().reconcile(context, target)
    assert [r.compliant for r in first.results if r.check == "cwagent.installed"] == [False]
    await AgentRole().reconcile(context, Target(scratch_account, GLOBAL_REGION))
    await InstanceProfiles().reconcile(context, target)

    fresh = Context.of(layer, context.spec, context.owner)  # the next pass, its own reads
    second = await CloudWatchAgent().reconcile(fresh, target)
    installed = [
        (r.compliant, r.action.value) for r in second.results if r.check == "cwagent.installed"
    ]
    assert installed == [(True, "none")]
    shipped = sandbox.tick_agents()
    assert {s["instanceId"] for s in shipped if s["account"] == scratch_account.account_id} == {web}


# 2. DescribeRegions: one partition, opt-in statuses.


async def test_describe_regions_lists_the_partitions_enabled_regions(
    layer: Aws,
    demo_accounts: dict[str, AccountAccess],
) -> None:
    target = Target(demo_accounts["shop"], REGION)

    async def regions(**params: Any) -> dict[str, str]:
        reply = await layer.call(target, "ec2", "describe_regions", **params)
        return {r["RegionName"]: r["OptInStatus"] for r in reply["Regions"]}

    enabled = await regions()
    all_regions = await layer.call(target, "ec2", "describe_regions", AllRegions=True)
    assert_matches_output("ec2", "DescribeRegions", all_regions)
    everything = {r["RegionName"]: r["OptInStatus"] for r in all_regions["Regions"]}
    opt_in = await regions(
        AllRegions=True, Filters=[{"Name": "opt-in-status", "Values": ["not-opted-in"]}]
    )

    assert set(enabled) == DEFAULT_REGIONS
    assert set(enabled.values()) == {"opt-in-not-required"}
    assert {name: everything[name] for name in OPT_IN_REGIONS} == dict.fromkeys(
        OPT_IN_REGIONS, "not-opted-in"
    )
    assert not [name for name in everything if name.startswith(("cn-", "us-gov-"))]
    assert set(opt_in) == set(everything) - DEFAULT_REGIONS
    assert set(opt_in) >= OPT_IN_REGIONS
    assert set(await regions(Filters=[{"Name": "region-name", "Values": ["eu-*"]}])) == {
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
    }
    assert await regions(RegionNames=["me-south-1"]) == {}
    assert await regions(RegionNames=["me-south-1"], AllRegions=True) == {
        "me-south-1": "not-opted-in"
    }
    reply = await layer.call(target, "ec2", "describe_regions", RegionNames=["eu-west-1"])
    assert reply["Regions"] == [
        {
            "RegionName": "eu-west-1",
            "OptInStatus": "opt-in-not-required",
            "Endpoint": "ec2.eu-west-1.amazonaws.com",
        }
    ]
    with pytest.raises(PermanentAwsError) as invalid:
        await layer.call(
            target, "ec2", "describe_regions", Filters=[{"Name": "colour", "Values": ["blue"]}]
        )
    assert invalid.value.code == "InvalidParameterValue"


async def test_all_regions_of_the_aws_layer_are_the_enabled_ones(
    layer: Aws,
    demo_accounts: dict[str, AccountAccess],
) -> None:
    assert await layer.regions(demo_accounts["prod"], ["*"]) == sorted(DEFAULT_REGIONS)


# 3. and 4. Instance profiles as DescribeInstances shows them.


async def test_every_instance_of_a_launch_gets_the_profile(
    layer: Aws,
    scratch_account: AccountAccess,
) -> None:
    target = Target(scratch_account, REGION)
    arn = await _profile(layer, scratch_account, "core", [SSM_CORE])
    profile_id = (
        await layer.call(
            Target(scratch_account, GLOBAL_REGION),
            "iam",
            "get_instance_profile",
            InstanceProfileName="core",
        )
    )["InstanceProfile"]["InstanceProfileId"]
    launched = await layer.call(
        target,
        "ec2",
        "run_instances",
        ImageId="ami-760aaa0f",
        MinCount=3,
        MaxCount=3,
        IamInstanceProfile={"Name": "core"},
    )
    ids = [i["InstanceId"] for i in launched["Instances"]]
    (by_arn,) = await _launch(layer, target, IamInstanceProfile={"Arn": arn})

    assert [i.get("IamInstanceProfile") for i in launched["Instances"]] == [
        {"Arn": arn, "Id": profile_id}
    ] * 3
    assert await _shown_profiles(layer, target, [*ids, by_arn]) == {
        instance_id: {"Arn": arn, "Id": profile_id} for instance_id in [*ids, by_arn]
    }
    for instance_id in [*ids, by_arn]:
        assert await _association_states(layer, target, instance_id) == ["associated"]
    information = await layer.call(target, "ssm", "describe_instance_information")
    assert {i["InstanceId"] for i in information["InstanceInformationList"]} == {*ids, by_arn}


async def test_a_replaced_profile_is_the_one_the_instance_shows(
    layer: Aws,
    scratch_account: AccountAccess,
) -> None:
    target = Target(scratch_account, REGION)
    legacy = await _profile(layer, scratch_account, "legacy", [S3_READ])
    agent = await _profile(layer, scratch_account, "agent", [SSM_CORE])
    (web,) = await _launch(layer, target, IamInstanceProfile={"Name": "legacy"})
    (shown,) = (await _shown_profiles(layer, target, [web])).values()
    assert shown is not None
    assert shown["Arn"] == legacy
    listed = await layer.call(
        target,
        "ec2",
        "describe_iam_instance_profile_associations",
        Filters=[{"Name": "instance-id", "Values": [web]}],
    )
    (association,) = listed["IamInstanceProfileAssociations"]

    replaced = await layer.call(
        target,
        "ec2",
        "replace_iam_instance_profile_association",
        AssociationId=association["AssociationId"],
        IamInstanceProfile={"Name": "agent"},
    )
    assert replaced["IamInstanceProfileAssociation"]["IamInstanceProfile"]["Arn"] == agent
    (shown,) = (await _shown_profiles(layer, target, [web])).values()
    assert shown is not None
    assert shown["Arn"] == agent
    information = await layer.call(target, "ssm", "describe_instance_information")
    assert [i["InstanceId"] for i in information["InstanceInformationList"]] == [web]


# 5. Pending associations, held through the control API.


async def test_an_association_held_associating_for_some_reads(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    arn = await _profile(layer, scratch_account, "core", [])
    (web,) = await _launch(layer, target, IamInstanceProfile={"Name": "core"})

    hold = sandbox.hold_association(scratch_account.account_id, REGION, web, "associating", reads=2)
    assert hold["state"] == "associating"
    assert {
        "associationId": hold["associationId"],
        "state": "associating",
        "reads": 2,
        "account": scratch_account.account_id,
        "region": REGION,
    } in sandbox.association_holds()
    assert (await _shown_profiles(layer, target, [web]))[web] is None  # not on it yet
    reply = await layer.call(
        target,
        "ec2",
        "describe_iam_instance_profile_associations",
        Filters=[{"Name": "instance-id", "Values": [web]}],
    )
    assert_matches_output("ec2", "DescribeIamInstanceProfileAssociations", reply)
    assert [a["State"] for a in reply["IamInstanceProfileAssociations"]] == ["associating"]
    # The state filter sees the held state; an answer not listing it spends no read.
    assert await _association_states(layer, target, web, state=["associated"]) == []
    assert await _association_states(layer, target, web, state=["associating"]) == ["associating"]

    # Its two reads spent: associated, and on the instance.
    assert await _association_states(layer, target, web) == ["associated"]
    assert (await _shown_profiles(layer, target, [web]))[web] == {
        "Arn": arn,
        "Id": (
            await layer.call(
                Target(scratch_account, GLOBAL_REGION),
                "iam",
                "get_instance_profile",
                InstanceProfileName="core",
            )
        )["InstanceProfile"]["InstanceProfileId"],
    }
    assert hold["associationId"] not in {h["associationId"] for h in sandbox.association_holds()}


async def test_an_association_held_disassociating_until_cleared(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    arn = await _profile(layer, scratch_account, "core", [])
    (web,) = await _launch(layer, target, IamInstanceProfile={"Name": "core"})
    (bare,) = await _launch(layer, target)

    sandbox.hold_association(scratch_account.account_id, REGION, web, "disassociating")
    for _ in range(3):
        assert await _association_states(layer, target, web) == ["disassociating"]
    shown = (await _shown_profiles(layer, target, [web]))[web]
    assert shown is not None
    assert shown["Arn"] == arn  # still on it while it goes
    with pytest.raises(PermanentAwsError) as taken:  # EC2 (moto) keeps one per instance
        await layer.call(
            target,
            "ec2",
            "associate_iam_instance_profile",
            InstanceId=web,
            IamInstanceProfile={"Name": "core"},
        )
    assert taken.value.code == "IncorrectState"

    sandbox.clear_association_holds()
    assert await _association_states(layer, target, web) == ["associated"]
    # A hold on an association that goes: nothing is left to hold, or to list.
    hold = sandbox.hold_association(scratch_account.account_id, REGION, web, "associating")
    await layer.call(
        target, "ec2", "disassociate_iam_instance_profile", AssociationId=hold["associationId"]
    )
    assert hold["associationId"] not in {h["associationId"] for h in sandbox.association_holds()}
    assert (await _shown_profiles(layer, target, [web]))[web] is None
    for body in (
        {"instance": bare, "state": "associating"},  # no association to hold
        {"instance": web, "state": "associated"},
    ):  # not a pending state
        with pytest.raises(urllib.error.HTTPError) as refused:
            sandbox.hold_association(
                scratch_account.account_id, REGION, body["instance"], body["state"]
            )
        assert refused.value.code == 400
