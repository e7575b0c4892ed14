"""The extensions answer in botocore's shapes, from moto's own state."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.aws import AccountAccess, Aws, PermanentAwsError, Target
from gdpr_operator.sandbox import SandboxControl, cloudfront_distribution, cloudfront_web_acl

from fixtures.botocore_shapes import assert_matches_output

IAM_REGION = "us-east-1"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
EC2_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


async def checked(
    layer: Aws, target: Target, service: str, operation: str, api_operation: str, **params: Any
) -> Any:
    reply = await layer.call(target, service, operation, **params)
    assert_matches_output(service, api_operation, reply)
    return reply


async def instance_information(layer: Aws, target: Target, **params: Any) -> dict[str, Any]:
    reply = await checked(
        layer,
        target,
        "ssm",
        "describe_instance_information",
        "DescribeInstanceInformation",
        **params,
    )
    return {i["InstanceId"]: i for i in reply["InstanceInformationList"]}


async def named_instances(layer: Aws, target: Target) -> dict[str, str]:
    reply = await layer.call(target, "ec2", "describe_instances")
    return {
        next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i["InstanceId"]
        for r in reply["Reservations"]
        for i in r["Instances"]
    }


async def make_profile(layer: Aws, access: AccountAccess, name: str, policies: list[str]) -> None:
    iam = Target(access, IAM_REGION)
    await layer.call(iam, "iam", "create_role", RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    for policy in policies:
        await layer.call(iam, "iam", "attach_role_policy", RoleName=name, PolicyArn=policy)
    await layer.call(iam, "iam", "create_instance_profile", InstanceProfileName=name)
    await layer.call(
        iam, "iam", "add_role_to_instance_profile", InstanceProfileName=name, RoleName=name
    )


async def run_instance(layer: Aws, target: Target, name: str, **params: Any) -> str:
    reply = await layer.call(
        target,
        "ec2",
        "run_instances",
        ImageId="ami-760aaa0f",
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": "Name", "Value": name}, {"Key": "gdpr-scope", "Value": "web"}],
            }
        ],
        **params,
    )
    return str(reply["Instances"][0]["InstanceId"])


async def test_ssm_sees_instances_whose_role_has_the_core_policy(
    layer: Aws, demo_accounts: dict[str, AccountAccess]
) -> None:
    target = Target(demo_accounts["prod"], "eu-west-1")
    names = await named_instances(layer, target)

    managed = await instance_information(layer, target)

    assert list(managed) == [names["ops-1"]]  # the only profile with AmazonSSMManagedInstanceCore
    ops = managed[names["ops-1"]]
    assert ops["PingStatus"] == "Online"
    assert ops["PlatformType"] == "Linux"
    assert ops["ResourceType"] == "EC2Instance"


async def test_ssm_follows_role_policies_and_instance_state(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    await make_profile(layer, scratch_account, "agent", [])
    instance_id = await run_instance(layer, target, "web", IamInstanceProfile={"Name": "agent"})
    assert await instance_information(layer, target) == {}

    await layer.call(
        Target(scratch_account, IAM_REGION),
        "iam",
        "attach_role_policy",
        RoleName="agent",
        PolicyArn=SSM_CORE,
    )
    assert (await instance_information(layer, target))[instance_id]["PingStatus"] == "Online"

    await layer.call(target, "ec2", "stop_instances", InstanceIds=[instance_id])
    assert (await instance_information(layer, target))[instance_id][
        "PingStatus"
    ] == "ConnectionLost"
    online = await instance_information(
        layer, target, Filters=[{"Key": "PingStatus", "Values": ["Online"]}]
    )
    assert online == {}

    await layer.call(target, "ec2", "terminate_instances", InstanceIds=[instance_id])
    assert await instance_information(layer, target) == {}


async def test_ssm_instance_information_filters_and_pages(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    await make_profile(layer, scratch_account, "core", [SSM_CORE])
    ids = [
        await run_instance(layer, target, f"web-{n}", IamInstanceProfile={"Name": "core"})
        for n in range(7)
    ]

    pages = [
        page
        async for page in layer.paginate(
            target, "ssm", "describe_instance_information", PaginationConfig={"PageSize": 5}
        )
    ]
    by_id = await instance_information(
        layer, target, InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": ids[:2]}]
    )
    by_tag = await instance_information(
        layer, target, Filters=[{"Key": "tag:Name", "Values": ["web-3"]}]
    )

    assert [len(p["InstanceInformationList"]) for p in pages] == [5, 2]
    assert sorted(by_id) == sorted(ids[:2])
    assert list(by_tag) == [ids[3]]
    with pytest.raises(PermanentAwsError) as invalid:
        await layer.call(
            target,
            "ssm",
            "describe_instance_information",
            Filters=[{"Key": "Colour", "Values": ["blue"]}],
        )
    assert invalid.value.code == "InvalidFilterKey"


async def test_state_manager_association_lifecycle(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    await make_profile(layer, scratch_account, "core", [SSM_CORE])
    web = await run_instance(layer, target, "web", IamInstanceProfile={"Name": "core"})
    stopped = await run_instance(layer, target, "web", IamInstanceProfile={"Name": "core"})
    await run_instance(layer, target, "other")  # not managed: never a target
    await layer.call(target, "ec2", "stop_instances", InstanceIds=[stopped])
    targets = [{"Key": "tag:gdpr-scope", "Values": ["web"]}]

    created = await checked(
        layer,
        target,
        "ssm",
        "create_association",
        "CreateAssociation",
        Name="AWS-ConfigureAWSPackage",
        Targets=targets,
        AssociationName="cwagent-install",
        Parameters={"action": ["Install"], "name": ["AmazonCloudWatchAgent"]},
    )
    association_id = created["AssociationDescription"]["AssociationId"]
    overview = created["AssociationDescription"]["Overview"]
    assert overview["AssociationStatusAggregatedCount"] == {"Success": 1, "Pending": 1}

    described = await checked(
        layer,
        target,
        "ssm",
        "describe_association",
        "DescribeAssociation",
        AssociationId=association_id,
    )
    assert described["AssociationDescription"]["Parameters"]["action"] == ["Install"]

    await layer.call(target, "ec2", "start_instances", InstanceIds=[stopped])
    updated = await checked(
        layer,
        target,
        "ssm",
        "update_association",
        "UpdateAssociation",
        AssociationId=association_id,
        AssociationVersion="1",
        Parameters={
            "action": ["Install"],
            "name": ["AmazonCloudWatchAgent"],
            "version": ["latest"],
        },
    )
    assert updated["AssociationDescription"]["AssociationVersion"] == "2"
    assert updated["AssociationDescription"]["Overview"]["Status"] == "Success"

    listed = await checked(
        layer,
        target,
        "ssm",
        "list_associations",
        "ListAssociations",
        AssociationFilterList=[{"key": "Name", "value": "AWS-ConfigureAWSPackage"}],
    )
    assert [a["AssociationId"] for a in listed["Associations"]] == [association_id]

    executions = await checked(
        layer,
        target,
        "ssm",
        "describe_association_executions",
        "DescribeAssociationExecutions",
        AssociationId=association_id,
    )
    assert [
        (e["AssociationVersion"], e["ResourceCountByStatus"])
        for e in executions["AssociationExecutions"]
    ] == [("2", "{Success=2}"), ("1", "{Pending=1, Success=1}")]

    statuses = await checked(
        layer,
        target,
        "ssm",
        "describe_instance_associations_status",
        "DescribeInstanceAssociationsStatus",
        InstanceId=web,
    )
    assert [(s["Name"], s["Status"]) for s in statuses["InstanceAssociationStatusInfos"]] == [
        ("AWS-ConfigureAWSPackage", "Success")
    ]
    info = (await instance_information(layer, target))[web]
    assert info["AssociationStatus"] == "Success"

    await layer.call(target, "ssm", "delete_association", AssociationId=association_id)
    assert (await layer.call(target, "ssm", "list_associations"))["Associations"] == []


async def test_state_manager_rejects_unknown_documents_and_associations(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    with pytest.raises(PermanentAwsError) as invalid:
        await layer.call(
            target,
            "ssm",
            "create_association",
            Name="No-Such-Document",
            Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
        )
    assert invalid.value.code == "InvalidDocument"
    with pytest.raises(PermanentAwsError) as missing:
        await layer.call(
            target,
            "ssm",
            "describe_association",
            AssociationId="00000000-0000-0000-0000-000000000000",
        )
    assert missing.value.code == "AssociationDoesNotExist"


async def test_guardduty_findings_statistics_and_filters(
    layer: Aws, sandbox: SandboxControl, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    detector = (await layer.call(target, "guardduty", "create_detector", Enable=True))["DetectorId"]
    seeded = sandbox.seed_findings(
        scratch_account.account_id,
        "eu-west-1",
        [
            {"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2.0},
            {"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2.0},
            {
                "type": "UnauthorizedAccess:EC2/SSHBruteForce",
                "severity": 5.0,
                "instanceId": "i-0123456789abcdef0",
            },
            {"type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "severity": 8.0},
        ],
    )

    statistics = await checked(
        layer,
        target,
        "guardduty",
        "get_findings_statistics",
        "GetFindingsStatistics",
        DetectorId=detector,
        FindingStatisticTypes=["COUNT_BY_SEVERITY"],
        GroupBy="SEVERITY",
    )
    severe = await checked(
        layer,
        target,
        "guardduty",
        "list_findings",
        "ListFindings",
        DetectorId=detector,
        FindingCriteria={"Criterion": {"severity": {"GreaterThanOrEqual": 4}}},
    )
    by_type = await checked(
        layer,
        target,
        "guardduty",
        "get_findings_statistics",
        "GetFindingsStatistics",
        DetectorId=detector,
        GroupBy="FINDING_TYPE",
        FindingCriteria={"Criterion": {"service.archived": {"Eq": ["false"]}}},
    )
    details = await checked(
        layer,
        target,
        "guardduty",
        "get_findings",
        "GetFindings",
        DetectorId=detector,
        FindingIds=severe["FindingIds"],
    )

    found = statistics["FindingStatistics"]
    assert found["CountBySeverity"] == {"2.0": 2, "5.0": 1, "8.0": 1}
    assert {(g["Severity"], g["TotalFindings"]) for g in found["GroupedBySeverity"]} == {
        (2.0, 2),
        (5.0, 1),
        (8.0, 1),
    }
    assert sorted(severe["FindingIds"]) == sorted(seeded[2:])
    assert by_type["FindingStatistics"]["GroupedByFindingType"][0] == {
        **by_type["FindingStatistics"]["GroupedByFindingType"][0],
        "FindingType": "Recon:EC2/PortProbeUnprotectedPort",
        "TotalFindings": 2,
    }
    assert {f["Severity"] for f in details["Findings"]} == {5.0, 8.0}
    instance = next(f for f in details["Findings"] if f["Severity"] == 5.0)
    assert instance["Resource"]["InstanceDetails"]["InstanceId"] == "i-0123456789abcdef0"

    pages = [
        p
        async for p in layer.paginate(
            target,
            "guardduty",
            "list_findings",
            DetectorId=detector,
            PaginationConfig={"PageSize": 3},
        )
    ]
    assert [len(p["FindingIds"]) for p in pages] == [3, 1]

    await layer.call(target, "guardduty", "delete_detector", DetectorId=detector)
    with pytest.raises(PermanentAwsError) as gone:
        await layer.call(target, "guardduty", "list_findings", DetectorId=detector)
    assert gone.value.code == "BadRequestException"


async def test_guardduty_allows_one_detector_per_account_and_region(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    await layer.call(target, "guardduty", "create_detector", Enable=True)

    with pytest.raises(PermanentAwsError) as refused:
        await layer.call(target, "guardduty", "create_detector", Enable=True)

    assert refused.value.code == "BadRequestException"
    assert "already exists" in refused.value.message
    assert len((await layer.call(target, "guardduty", "list_detectors"))["DetectorIds"]) == 1
    # Another region of the same account is another detector.
    await layer.call(
        Target(scratch_account, "eu-west-2"), "guardduty", "create_detector", Enable=True
    )


async def test_config_rule_compliance_is_derived_from_the_rules_and_their_evaluations(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    target = Target(scratch_account, "eu-west-1")
    names = [f"rule-{n:02d}" for n in range(26)]  # a page holds 25
    for name in names:
        await layer.call(
            target,
            "config",
            "put_config_rule",
            ConfigRule={
                "ConfigRuleName": name,
                "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
            },
        )
    evaluation = {"resourceType": "AWS::S3::Bucket", "resourceId": "data"}
    sandbox.put_config_evaluations(
        scratch_account.account_id,
        "eu-west-1",
        "rule-00",
        [
            {**evaluation, "complianceType": "COMPLIANT"},
            {**evaluation, "resourceId": "logs", "complianceType": "NON_COMPLIANT"},
        ],
    )
    sandbox.put_config_evaluations(
        scratch_account.account_id,
        "eu-west-1",
        "rule-01",
        [{**evaluation, "complianceType": "COMPLIANT"}],
    )
    first = await checked(
        layer,
        target,
        "config",
        "describe_compliance_by_config_rule",
        "DescribeComplianceByConfigRule",
    )
    rest = await layer.call(
        target, "config", "describe_compliance_by_config_rule", NextToken=first["NextToken"]
    )
    found = {
        c["ConfigRuleName"]: c["Compliance"]
        for c in first["ComplianceByConfigRules"] + rest["ComplianceByConfigRules"]
    }
    assert sorted(found) == names
    assert "NextToken" not in rest
    assert found["rule-00"] == {
        "ComplianceType": "NON_COMPLIANT",
        "ComplianceContributorCount": {"CappedCount": 1, "CapExceeded": False},
    }
    assert found["rule-01"] == {"ComplianceType": "COMPLIANT"}
    assert found["rule-02"] == {"ComplianceType": "INSUFFICIENT_DATA"}
    failing = await layer.call(
        target,
        "config",
        "describe_compliance_by_config_rule",
        ComplianceTypes=["NON_COMPLIANT"],
    )
    assert [c["ConfigRuleName"] for c in failing["ComplianceByConfigRules"]] == ["rule-00"]
    with pytest.raises(PermanentAwsError) as unknown:
        await layer.call(
            target, "config", "describe_compliance_by_config_rule", ConfigRuleNames=["gone"]
        )
    assert unknown.value.code == "NoSuchConfigRuleException"
    # A rule created anew starts without the evaluations of the one it replaces.
    await layer.call(target, "config", "delete_config_rule", ConfigRuleName="rule-00")
    await layer.call(
        target,
        "config",
        "put_config_rule",
        ConfigRule={
            "ConfigRuleName": "rule-00",
            "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
        },
    )
    again = await layer.call(
        target, "config", "describe_compliance_by_config_rule", ConfigRuleNames=["rule-00"]
    )
    assert again["ComplianceByConfigRules"][0]["Compliance"] == {
        "ComplianceType": "INSUFFICIENT_DATA"
    }


async def test_trusted_advisor_answers_by_support_plan_from_the_accounts_state(
    layer: Aws, scratch_account: AccountAccess, sandbox: SandboxControl
) -> None:
    edge = Target(scratch_account, IAM_REGION)
    for plan in ("basic", "developer"):
        sandbox.set_support_plan(scratch_account.account_id, plan)
        for operation, params in (
            ("describe_services", {}),
            ("describe_trusted_advisor_checks", {"language": "en"}),
            ("describe_trusted_advisor_check_summaries", {"checkIds": ["vjafUGJ9H0"]}),
            ("describe_trusted_advisor_check_result", {"checkId": "vjafUGJ9H0"}),
        ):
            with pytest.raises(PermanentAwsError) as refused:
                await layer.call(edge, "support", operation, **params)
            assert refused.value.code == "SubscriptionRequiredException"
            # AWS's wording, which Prowler compares exactly.
            assert refused.value.message.endswith(
                "): Amazon Web Services Premium Support Subscription is required to use this "
                "service."
            )

    sandbox.set_support_plan(scratch_account.account_id, "enterprise")
    services = await checked(
        layer, edge, "support", "describe_services", "DescribeServices", language="en"
    )
    assert services["services"] == []  # no support cases in the sandbox
    listed = await checked(
        layer,
        edge,
        "support",
        "describe_trusted_advisor_checks",
        "DescribeTrustedAdvisorChecks",
        language="en",
    )
    security = sorted(c["id"] for c in listed["checks"] if c["category"] == "security")
    assert security == ["Pfx0RwqBli", "vjafUGJ9H0"]  # those the sandbox evaluates
    other = next(c["id"] for c in listed["checks"] if c["category"] != "security")
    here = Target(scratch_account, "eu-west-1")
    for name, acl in (
        ("open", "public-read-write"),
        ("shared", "authenticated-read"),
        ("own", "private"),
    ):
        await layer.call(
            here,
            "s3",
            "create_bucket",
            Bucket=f"{name}-{scratch_account.account_id}",
            ACL=acl,
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
    summaries = await checked(
        layer,
        edge,
        "support",
        "describe_trusted_advisor_check_summaries",
        "DescribeTrustedAdvisorCheckSummaries",
        checkIds=["Pfx0RwqBli", "vjafUGJ9H0", other],
    )
    found = {
        s["checkId"]: (s["status"], s["resourcesSummary"]["resourcesFlagged"])
        for s in summaries["summaries"]
    }
    assert found == {
        "Pfx0RwqBli": ("error", 2),
        "vjafUGJ9H0": ("error", 1),
        other: ("not_available", 0),
    }
    flagged = {}
    for check_id in ("Pfx0RwqBli", "vjafUGJ9H0", other):
        reply = await checked(
            layer,
            edge,
            "support",
            "describe_trusted_advisor_check_result",
            "DescribeTrustedAdvisorCheckResult",
            checkId=check_id,
        )
        result = reply["result"]
        assert result["status"] == found[check_id][0]
        flagged[check_id] = sorted(r["resourceId"] for r in result["flaggedResources"])
    assert flagged == {
        "Pfx0RwqBli": sorted(f"{n}-{scratch_account.account_id}" for n in ("open", "shared")),
        "vjafUGJ9H0": [scratch_account.account_id],  # no trail: the account is flagged
        other: [],
    }
    for operation, params in (
        ("describe_trusted_advisor_check_summaries", {"checkIds": ["nope"]}),
        ("describe_trusted_advisor_check_result", {"checkId": "nope"}),
    ):
        with pytest.raises(PermanentAwsError) as unknown:
            await layer.call(edge, "support", operation, **params)
        assert unknown.value.code == "InvalidParameterValueException"


async def test_cloudfront_distribution_summaries_name_their_web_acl(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    edge = Target(scratch_account, IAM_REGION)
    web_acl = await cloudfront_web_acl(layer, edge, "edge")
    await cloudfront_distribution(layer, edge, "with", web_acl)
    await cloudfront_distribution(layer, edge, "without")
    listed = await checked(layer, edge, "cloudfront", "list_distributions", "ListDistributions")
    assert sorted(
        (d["Comment"], d["WebACLId"], d["Staging"]) for d in listed["DistributionList"]["Items"]
    ) == [("with", web_acl, False), ("without", "", False)]


async def test_queue_attributes_count_the_messages_sent(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    url = (await layer.call(target, "sqs", "create_queue", QueueName="counted"))["QueueUrl"]
    entries = [{"Id": str(n), "MessageBody": f"message {n}"} for n in range(3)]
    await layer.call(target, "sqs", "send_message_batch", QueueUrl=url, Entries=entries)
    await layer.call(target, "sqs", "receive_message", QueueUrl=url, MaxNumberOfMessages=1)

    reply = await layer.call(
        target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["All"]
    )

    assert reply["Attributes"]["ApproximateNumberOfMessages"] == "2"
    assert reply["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert "ContentBasedDeduplication" not in reply["Attributes"]


async def test_a_fifo_queue_with_content_based_deduplication_drops_a_repeated_body(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, "eu-west-1")
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    url = (
        await layer.call(
            target, "sqs", "create_queue", QueueName="deduplicated.fifo", Attributes=attributes
        )
    )["QueueUrl"]
    for body in ("same", "same", "other"):
        await layer.call(
            target, "sqs", "send_message", QueueUrl=url, MessageBody=body, MessageGroupId="g"
        )

    reply = await layer.call(
        target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["All"]
    )

    assert reply["Attributes"]["ApproximateNumberOfMessages"] == "2"
    assert reply["Attributes"]["ContentBasedDeduplication"] == "true"
