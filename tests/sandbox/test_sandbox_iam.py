"""The aws profile's IAM enforcement: the operator's role, holding the generated policy, is
refused what the policy does not allow, as AWS refuses it (the service's AccessDenied, naming
the principal, action and resource), and allowed what it does. Set-up calls are made as the
account's root, which identity policies do not restrict."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import Config
from botocore.exceptions import ClientError

from gdpr_operator.aws import AccountAccess
from gdpr_operator.reconcilers import operator_policies
from gdpr_operator.reconcilers.drift_events import FORWARDER_ROLE_NAME
from gdpr_operator.sandbox import OPERATOR_ROLE, profile_in_force

REGION = "eu-west-1"
SCALE = 0.01
"""Latency and propagation at a hundredth: what is tested here is who may do what."""
OWN_TAGS = [
    {"Key": "gdpr-operator:managed-by", "Value": "gdpr-operator"},
    {"Key": "gdpr-operator:owner", "Value": "web/monitoring"},
]
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
AGENT_POLICY = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def _client(url: str, service: str, **credentials: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        **credentials,
    )


class Account:
    """Clients into a sandbox account: as its root (`root`) and as the operator's role."""

    def __init__(self, url: str, account: AccountAccess) -> None:
        self.url, self.id = url, account.account_id
        assert account.role_arn is not None
        sts = _client(url, "sts", aws_access_key_id="root", aws_secret_access_key="root")
        credentials = sts.assume_role(RoleArn=account.role_arn, RoleSessionName="enforced")
        self.credentials = {
            "aws_access_key_id": credentials["Credentials"]["AccessKeyId"],
            "aws_secret_access_key": credentials["Credentials"]["SecretAccessKey"],
            "aws_session_token": credentials["Credentials"]["SessionToken"],
        }
        self.principal = credentials["AssumedRoleUser"]["Arn"]

    def root(self, service: str) -> Any:
        client = _client(self.url, service, aws_access_key_id="root", aws_secret_access_key="root")
        client.meta.events.register(
            "before-sign.*.*",
            lambda request, **_: request.headers.__setitem__("X-Moto-Account-Id", self.id),
        )
        return client

    def operator(self, service: str) -> Any:
        return _client(self.url, service, **self.credentials)


@pytest.fixture
def enforced(sandbox_url: str, scratch_account: AccountAccess) -> Iterator[Account]:
    with profile_in_force("aws", time_scale=SCALE):
        time.sleep(8 * SCALE)  # the role just made is assumable once it has propagated
        yield Account(sandbox_url, scratch_account)


def _denied(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as refused:
        call()
    return dict(refused.value.response["Error"]) | {
        "status": refused.value.response["ResponseMetadata"]["HTTPStatusCode"]
    }


def _role(account: Account, name: str, path: str = "/", tags: Any = ()) -> str:
    reply = account.root("iam").create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=EC2_TRUST, Tags=list(tags)
    )
    return str(reply["Role"]["Arn"])


def test_the_operator_role_has_the_generated_policies_attached_and_no_inline_one(
    enforced: Account,
) -> None:
    iam = enforced.root("iam")
    attached = iam.list_attached_role_policies(RoleName=OPERATOR_ROLE)["AttachedPolicies"]
    held = {}
    for policy in attached:
        version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)
        held[policy["PolicyName"]] = document["PolicyVersion"]["Document"]
    assert held == operator_policies()
    assert iam.list_role_policies(RoleName=OPERATOR_ROLE)["PolicyNames"] == []


def test_a_call_no_attached_policy_allows_is_denied_and_a_deny_in_any_wins(
    enforced: Account,
) -> None:
    denied = _denied(lambda: enforced.operator("iam").create_user(UserName="intruder"))
    assert (denied["Code"], denied["status"]) == ("AccessDenied", 403)
    assert "iam:CreateUser" in denied["Message"]
    logs = enforced.operator("logs")
    logs.describe_log_groups()  # the log-groups policy allows it
    deny = enforced.root("iam").create_policy(
        PolicyName="no-log-reads",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Action": "logs:DescribeLogGroups", "Resource": "*"}
                ],
            }
        ),
    )["Policy"]["Arn"]
    enforced.root("iam").attach_role_policy(RoleName=OPERATOR_ROLE, PolicyArn=deny)
    assert "logs:DescribeLogGroups" in _denied(logs.describe_log_groups)["Message"]


def test_a_role_outside_the_operators_path_or_tags_cannot_be_changed(enforced: Account) -> None:
    outside = _role(enforced, "web-app", tags=OWN_TAGS)
    untagged = _role(enforced, "untagged", path="/gdpr-operator/")
    _role(enforced, "web-agent", path="/gdpr-operator/", tags=OWN_TAGS)
    iam = enforced.operator("iam")

    def update(name: str) -> Any:
        return iam.update_assume_role_policy(RoleName=name, PolicyDocument=EC2_TRUST)

    error = _denied(lambda: update("web-app"))
    assert error == {
        "Type": "Sender",
        "Code": "AccessDenied",
        "Message": f"User: {enforced.principal} is not authorized to perform: "
        f"iam:UpdateAssumeRolePolicy on resource: {outside} because no identity-based policy "
        "allows the iam:UpdateAssumeRolePolicy action",
        "status": 403,
    }
    assert f"on resource: {untagged} " in _denied(lambda: update("untagged"))["Message"]
    update("web-agent")


def test_create_role_needs_the_operators_path_and_tags_and_no_other(enforced: Account) -> None:
    iam = enforced.operator("iam")

    def create(name: str, path: str, tags: list[dict[str, str]]) -> Any:
        return iam.create_role(
            RoleName=name, Path=path, AssumeRolePolicyDocument=EC2_TRUST, Tags=tags
        )

    assert _denied(lambda: create("a", "/gdpr-operator/", []))["Code"] == "AccessDenied"
    without_managed_by = OWN_TAGS[1:]
    assert _denied(lambda: create("b", "/gdpr-operator/", without_managed_by))["status"] == 403
    extra = [*OWN_TAGS, {"Key": "cost-centre", "Value": "1"}]
    assert "iam:CreateRole" in _denied(lambda: create("c", "/gdpr-operator/", extra))["Message"]
    assert _denied(lambda: create("d", "/", OWN_TAGS))["Code"] == "AccessDenied"
    made = create("e", "/gdpr-operator/", OWN_TAGS)
    assert made["Role"]["Arn"].endswith(":role/gdpr-operator/e")


def test_only_the_agent_policies_can_be_attached(enforced: Account) -> None:
    agent = _role(enforced, "web-agent", path="/gdpr-operator/", tags=OWN_TAGS)
    iam = enforced.operator("iam")
    error = _denied(lambda: iam.attach_role_policy(RoleName="web-agent", PolicyArn=ADMIN_POLICY))
    assert error["Message"].startswith(
        f"User: {enforced.principal} is not authorized to perform: iam:AttachRolePolicy on "
        f"resource: {agent} "
    )
    iam.attach_role_policy(RoleName="web-agent", PolicyArn=AGENT_POLICY)
    attached = enforced.root("iam").list_attached_role_policies(RoleName="web-agent")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [AGENT_POLICY]


def _profile(account: Account, name: str, path: str, role: str) -> None:
    iam = account.root("iam")
    iam.create_instance_profile(InstanceProfileName=name, Path=path, Tags=OWN_TAGS)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)


def test_an_instance_gets_only_the_operators_profile_whose_role_it_may_pass(
    enforced: Account,
) -> None:
    _role(enforced, "web-agent", path="/gdpr-operator/", tags=OWN_TAGS)
    _role(enforced, "web-app")
    _profile(enforced, "web-agent", "/gdpr-operator/", "web-agent")
    _profile(enforced, "web-app", "/", "web-app")
    _profile(enforced, "smuggled", "/gdpr-operator/", "web-app")
    time.sleep(8 * SCALE)  # new profiles reach EC2 after their propagation delay
    ec2 = enforced.root("ec2")
    instance_ids = [
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
            "InstanceId"
        ]
        for _ in range(3)
    ]
    operator = enforced.operator("ec2")

    def associate(instance_id: str, profile: str) -> Any:
        return operator.associate_iam_instance_profile(
            InstanceId=instance_id, IamInstanceProfile={"Name": profile}
        )

    error = _denied(lambda: associate(instance_ids[0], "web-app"))
    instance = f"arn:aws:ec2:{REGION}:{enforced.id}:instance/{instance_ids[0]}"
    assert (error["Code"], error["status"]) == ("UnauthorizedOperation", 403)
    assert error["Message"] == (
        f"You are not authorized to perform this operation. User: {enforced.principal} is "
        f"not authorized to perform: ec2:AssociateIamInstanceProfile on resource: {instance} "
        "because no identity-based policy allows the ec2:AssociateIamInstanceProfile action"
    )
    # A profile on the operator's path that holds another application's role: passing that
    # role to EC2 is what is refused.
    passing = _denied(lambda: associate(instance_ids[1], "smuggled"))["Message"]
    assert f"iam:PassRole on resource: arn:aws:iam::{enforced.id}:role/web-app " in passing, passing
    associate(instance_ids[2], "web-agent")


def test_the_operator_reads_only_its_own_parameters(enforced: Account) -> None:
    root, ssm = enforced.root("ssm"), enforced.operator("ssm")
    root.put_parameter(Name="database-password", Value="secret", Type="SecureString")
    ssm.put_parameter(Name="AmazonCloudWatch-gdpr_web", Value="{}", Type="String", Tags=OWN_TAGS)
    assert (
        _denied(
            lambda: ssm.put_parameter(
                Name="AmazonCloudWatch-gdpr_untagged", Value="{}", Type="String"
            )
        )["Code"]
        == "AccessDeniedException"
    )
    assert ssm.get_parameters(Names=["AmazonCloudWatch-gdpr_web"])["Parameters"]
    error = _denied(lambda: ssm.get_parameters(Names=["database-password"]))
    assert "parameter/database-password because no identity-based policy" in error["Message"]


def test_the_instant_profile_enforces_nothing(
    sandbox_url: str, scratch_account: AccountAccess
) -> None:
    with profile_in_force("instant"):
        account = Account(sandbox_url, scratch_account)
        _role(account, "web-app")
        account.operator("iam").attach_role_policy(RoleName="web-app", PolicyArn=ADMIN_POLICY)


def test_detectors_and_log_groups_the_operator_did_not_tag_are_not_its_own(
    enforced: Account,
) -> None:
    foreign = enforced.root("guardduty").create_detector(Enable=True)["DetectorId"]
    guardduty = enforced.operator("guardduty")
    error = _denied(lambda: guardduty.delete_detector(DetectorId=foreign))
    detector = f"arn:aws:guardduty:{REGION}:{enforced.id}:detector/{foreign}"
    assert (error["Code"], error["status"]) == ("AccessDeniedException", 403)
    assert f"guardduty:DeleteDetector on resource: {detector} " in error["Message"]
    guardduty.update_detector(DetectorId=foreign, Enable=True)  # configuring is allowed
    logs = enforced.operator("logs")
    untagged = _denied(lambda: logs.create_log_group(logGroupName="/gdpr/untagged"))
    assert "logs:CreateLogGroup" in untagged["Message"]
    logs.create_log_group(
        logGroupName="/gdpr/tagged", tags={t["Key"]: t["Value"] for t in OWN_TAGS}
    )


def test_flow_logs_are_created_tagged_through_its_role_and_only_its_own_deleted(
    enforced: Account,
) -> None:
    root_ec2, ec2 = enforced.root("ec2"), enforced.operator("ec2")
    vpc = root_ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    enforced.root("logs").create_log_group(logGroupName="/gdpr/vpc-flow-logs")
    own_role = _role(enforced, "gdpr-operator-flow-logs", "/gdpr-operator/", OWN_TAGS)
    other_role = _role(enforced, "flow-logs", tags=OWN_TAGS)

    def create(role: str, tags: Any = OWN_TAGS) -> Any:
        return ec2.create_flow_logs(
            ResourceIds=[vpc],
            ResourceType="VPC",
            TrafficType="ALL",
            LogGroupName="/gdpr/vpc-flow-logs",
            DeliverLogsPermissionArn=role,
            TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": list(tags)}]
            if tags
            else [],
        )

    passing = _denied(lambda: create(other_role))
    assert (passing["Code"], passing["status"]) == ("UnauthorizedOperation", 403)
    assert f"iam:PassRole on resource: {other_role} " in passing["Message"]
    # The drift events' forwarder role is the operator's too, but passed to EventBridge only.
    forwarder = _role(enforced, FORWARDER_ROLE_NAME, "/gdpr-operator/", OWN_TAGS)
    elsewhere = _denied(lambda: create(forwarder))
    assert f"iam:PassRole on resource: {forwarder} " in elsewhere["Message"]
    untagged = _denied(lambda: create(own_role, tags=()))
    assert "ec2:CreateFlowLogs on resource: " in untagged["Message"]
    (own,) = create(own_role)["FlowLogIds"]
    foreign = root_ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogGroupName="/net/flows",
        DeliverLogsPermissionArn=other_role,
    )["FlowLogIds"][0]

    error = _denied(lambda: ec2.delete_flow_logs(FlowLogIds=[foreign]))
    resource = f"arn:aws:ec2:{REGION}:{enforced.id}:vpc-flow-log/{foreign}"
    assert (error["Code"], error["status"]) == ("UnauthorizedOperation", 403)
    assert f"ec2:DeleteFlowLogs on resource: {resource} " in error["Message"]
    ec2.delete_flow_logs(FlowLogIds=[own])
    assert [log["FlowLogId"] for log in root_ec2.describe_flow_logs()["FlowLogs"]] == [foreign]
