"""The CloudWatch agent against the sandbox: install, configure, reconfigure once, targets,
faults, Observe's zero writes and release."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.model import Action, CheckResult
from gdpr_operator.reconcilers import Context
from gdpr_operator.reconcilers.cloudwatch_agent import CloudWatchAgent, Platform, configs_for
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import writes
from fixtures.contexts import context, spec

REGION = "eu-west-1"
IAM_REGION = "us-east-1"
AGENT = CloudWatchAgent()
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
LINUX_AMI, WINDOWS_AMI = "ami-760aaa0f", "ami-b7e93bce"
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
OWNER_TAGS = {"gdpr-operator:managed-by": "gdpr-operator", "gdpr-operator:owner": "security/web"}
PARAMETER = "AmazonCloudWatch-gdpr_security_web_Linux"


def _pass(
    layer: Aws,
    account: AccountAccess,
    presets: list[str],
    policy: str = "Enforce",
    owner: str = "security/web",
) -> Context:
    """The context of one pass (its reads are cached for that pass only)."""
    return context(
        layer,
        spec(
            [account.name],
            [REGION],
            managementPolicy=policy,
            instances={"selector": {"tags": {"gdpr-scope": "web"}}},
            cloudWatchAgent={"presets": presets},
        ),
        owner,
    )


async def _managed_instance(
    layer: Aws,
    account: AccountAccess,
    *,
    image: str = LINUX_AMI,
    tags: dict[str, str] | None = None,
) -> str:
    """An instance SSM manages (its profile's role carries AmazonSSMManagedInstanceCore)."""
    iam = Target(account, IAM_REGION)
    profiles = await layer.call(iam, "iam", "list_instance_profiles")
    if not profiles["InstanceProfiles"]:
        await layer.call(iam, "iam", "create_role", RoleName="core", AssumeRolePolicyDocument=TRUST)
        await layer.call(iam, "iam", "attach_role_policy", RoleName="core", PolicyArn=SSM_CORE)
        await layer.call(iam, "iam", "create_instance_profile", InstanceProfileName="core")
        await layer.call(
            iam, "iam", "add_role_to_instance_profile", InstanceProfileName="core", RoleName="core"
        )
    tags = {"gdpr-scope": "web"} if tags is None else tags
    reply = await layer.call(
        Target(account, REGION),
        "ec2",
        "run_instances",
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        IamInstanceProfile={"Name": "core"},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
    )
    instance_id: str = reply["Instances"][0]["InstanceId"]
    return instance_id


async def _associations(layer: Aws, target: Target) -> dict[str, dict[str, Any]]:
    listed = await layer.call(target, "ssm", "list_associations")
    described = [
        await layer.call(target, "ssm", "describe_association", AssociationId=a["AssociationId"])
        for a in listed["Associations"]
    ]
    return {
        d["AssociationDescription"]["AssociationName"]: d["AssociationDescription"]
        for d in described
    }


def _by_resource(results: Sequence[CheckResult]) -> dict[tuple[str, str], tuple[bool, str]]:
    return {(r.check, r.resource): (r.compliant, r.action.value) for r in results}


async def test_enforce_installs_and_configures_then_costs_reads_only(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    web = [await _managed_instance(layer, scratch_account) for _ in range(2)]
    await _managed_instance(layer, scratch_account, tags={"gdpr-scope": "batch"})
    enforce = partial(_pass, layer, scratch_account, ["linux-system", "nginx"])
    sandbox.clear_calls()

    report = await AGENT.reconcile(enforce(), target)
    assert _by_resource(report.results) == {
        ("cwagent.config", PARAMETER): (False, "remediated"),
        ("cwagent.installed", web[0]): (False, "remediated"),
        ("cwagent.installed", web[1]): (False, "remediated"),
    }
    assert writes(sandbox, scratch_account) == [
        "ssm:CreateAssociation",
        "ssm:CreateAssociation",
        "ssm:PutParameter",
    ]
    stored = (await layer.call(target, "ssm", "get_parameter", Name=PARAMETER))["Parameter"]
    assert stored["Value"] == configs_for(enforce().spec)[Platform.LINUX].canonical_json
    assert stored["Version"] == 1
    tags = await layer.call(
        target, "ssm", "list_tags_for_resource", ResourceType="Parameter", ResourceId=PARAMETER
    )
    assert {t["Key"]: t["Value"] for t in tags["TagList"]} == OWNER_TAGS
    associations = await _associations(layer, target)
    assert set(associations) == {"gdpr_security_web_install", "gdpr_security_web_Linux_configure"}
    install = associations["gdpr_security_web_install"]
    assert install["Name"] == "AWS-ConfigureAWSPackage"
    assert install["Parameters"] == {"action": ["Install"], "name": ["AmazonCloudWatchAgent"]}
    # One selector tag and one platform: targeted by tag, so new instances are covered.
    assert install["Targets"] == [{"Key": "tag:gdpr-scope", "Values": ["web"]}]
    configure = associations["gdpr_security_web_Linux_configure"]
    assert configure["Name"] == "AmazonCloudWatch-ManageAgent"
    assert configure["Targets"] == [{"Key": "tag:gdpr-scope", "Values": ["web"]}]
    assert configure["Parameters"] == {
        "action": ["configure"],
        "mode": ["ec2"],
        "optionalConfigurationSource": ["ssm"],
        "optionalConfigurationLocation": [f"{PARAMETER}:1"],
        "optionalRestart": ["yes"],
    }

    sandbox.clear_calls()
    again = await AGENT.reconcile(enforce(), target)
    assert {(r.compliant, r.action) for r in again.results} == {(True, Action.NONE)}
    assert len(again.results) == 3
    assert writes(sandbox, scratch_account) == []


async def test_a_spec_change_makes_one_parameter_version_and_one_reconfiguration(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    web = await _managed_instance(layer, scratch_account)
    await AGENT.reconcile(_pass(layer, scratch_account, ["linux-system"]), target)
    changed = partial(_pass, layer, scratch_account, ["linux-system", "apache"])
    sandbox.clear_calls()

    report = await AGENT.reconcile(changed(), target)
    assert _by_resource(report.results) == {
        ("cwagent.config", PARAMETER): (False, "remediated"),
        ("cwagent.installed", web): (False, "remediated"),
    }
    config = next(r for r in report.results if r.check == "cwagent.config")
    assert "differs from the rendered configuration" in config.reason
    assert writes(sandbox, scratch_account) == ["ssm:PutParameter", "ssm:UpdateAssociation"]
    stored = (await layer.call(target, "ssm", "get_parameter", Name=PARAMETER))["Parameter"]
    assert stored["Version"] == 2
    configure = (await _associations(layer, target))["gdpr_security_web_Linux_configure"]
    assert configure["Parameters"]["optionalConfigurationLocation"] == [f"{PARAMETER}:2"]
    assert configure["AssociationVersion"] == "2"

    sandbox.clear_calls()
    converged = await AGENT.reconcile(changed(), target)
    assert all(r.compliant for r in converged.results)
    assert writes(sandbox, scratch_account) == []


async def test_observe_reports_what_it_would_do_and_writes_nothing(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    web = await _managed_instance(layer, scratch_account)
    sandbox.clear_calls()
    report = await AGENT.reconcile(
        _pass(layer, scratch_account, ["linux-system"], "Observe"), target
    )
    assert _by_resource(report.results) == {
        ("cwagent.config", PARAMETER): (False, "would_remediate"),
        ("cwagent.installed", web): (False, "would_remediate"),
    }
    (config,) = (r for r in report.results if r.check == "cwagent.config")
    assert config.reason == (
        f"parameter {PARAMETER} does not exist; State Manager association "
        "gdpr_security_web_install does not exist; State Manager association "
        "gdpr_security_web_Linux_configure does not exist"
    )
    assert writes(sandbox, scratch_account) == []


async def test_both_platforms_are_configured_apart_by_instance_ids(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    linux = await _managed_instance(layer, scratch_account)
    windows = await _managed_instance(layer, scratch_account, image=WINDOWS_AMI)
    enforce = partial(_pass, layer, scratch_account, ["linux-system", "windows-system"])

    first = await AGENT.reconcile(enforce(), target)
    assert {r.action for r in first.results} == {Action.REMEDIATED}
    associations = await _associations(layer, target)
    assert associations["gdpr_security_web_install"]["Targets"] == [
        {"Key": "tag:gdpr-scope", "Values": ["web"]}
    ]
    assert associations["gdpr_security_web_Linux_configure"]["Targets"] == [
        {"Key": "InstanceIds", "Values": [linux]}
    ]
    assert associations["gdpr_security_web_Windows_configure"]["Targets"] == [
        {"Key": "InstanceIds", "Values": [windows]}
    ]
    assert all(r.compliant for r in (await AGENT.reconcile(enforce(), target)).results)

    # A new Windows instance: the next pass adds it to the Windows association only.
    newcomer = await _managed_instance(layer, scratch_account, image=WINDOWS_AMI)
    sandbox.clear_calls()
    report = await AGENT.reconcile(enforce(), target)
    assert writes(sandbox, scratch_account) == ["ssm:UpdateAssociation"]
    assert _by_resource(report.results)[("cwagent.installed", newcomer)] == (False, "remediated")
    windows_targets = (await _associations(layer, target))["gdpr_security_web_Windows_configure"][
        "Targets"
    ]
    assert windows_targets == [{"Key": "InstanceIds", "Values": sorted([windows, newcomer])}]


async def test_instances_state_manager_has_not_reached_wait_without_a_write(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    stopped = await _managed_instance(layer, scratch_account)
    windows = await _managed_instance(layer, scratch_account, image=WINDOWS_AMI)
    await layer.call(target, "ec2", "stop_instances", InstanceIds=[stopped])
    enforce = partial(_pass, layer, scratch_account, ["linux-system"])
    await AGENT.reconcile(enforce(), target)
    sandbox.clear_calls()

    report = await AGENT.reconcile(enforce(), target)
    installed = {r.resource: r for r in report.results if r.check == "cwagent.installed"}
    assert installed[stopped].reason == (
        "agent not installed: association gdpr_security_web_install is Pending on it"
    )
    assert installed[windows].reason == (
        "the instance runs Windows, and the spec's presets render nothing for it"
    )
    assert {(r.compliant, r.action) for r in installed.values()} == {(False, Action.NONE)}
    assert writes(sandbox, scratch_account) == []


async def test_access_denied_on_create_association_fails_and_names_the_action(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await _managed_instance(layer, scratch_account)
    sandbox.add_fault(
        "ssm", "access_denied", operation="CreateAssociation", account=scratch_account.account_id
    )
    report = await AGENT.reconcile(_pass(layer, scratch_account, ["linux-system"]), target)
    assert {r.action for r in report.results} == {Action.FAILED}
    assert all("ssm:CreateAssociation" in r.reason for r in report.results)


async def test_release_deletes_only_what_this_owner_created(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    target = Target(scratch_account, REGION)
    await _managed_instance(layer, scratch_account)
    mine = _pass(layer, scratch_account, ["linux-system"])
    theirs = Context.of(layer, mine.spec, "other/monitoring")
    await AGENT.reconcile(mine, target)
    await AGENT.reconcile(theirs, target)
    # A parameter under this owner's name that someone else made: not the operator's.
    await layer.call(
        target,
        "ssm",
        "put_parameter",
        Type="String",
        Value="{}",
        Name="AmazonCloudWatch-gdpr_security_web_Windows",
    )

    released = await AGENT.release(mine, target)
    assert len(released.released) == 3  # install, Linux configure, Linux parameter
    assert set(await _associations(layer, target)) == {
        "gdpr_other_monitoring_install",
        "gdpr_other_monitoring_Linux_configure",
    }
    left = await layer.call(target, "ssm", "describe_parameters")
    assert sorted(p["Name"] for p in left["Parameters"]) == [
        "AmazonCloudWatch-gdpr_other_monitoring_Linux",
        "AmazonCloudWatch-gdpr_security_web_Windows",
    ]
    assert not (await AGENT.release(mine, target)).released
