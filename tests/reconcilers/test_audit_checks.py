"""The observe-only audit checks against the sandbox: compliant and not, read calls only.

moto keeps no event selectors for a new trail (AWS gives it one logging every management
event), so the trails here get theirs with PutEventSelectors, as a customer's may. What a
Config rule found is seeded as its evaluator would report it, and a scratch account starts
on the Basic Support plan, as a new AWS account does (see the sandbox's extensions).
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from gdpr_operator import engine
from gdpr_operator.aws import AccessDeniedError, AccountAccess, Aws, Target, iam_action
from gdpr_operator.model import (
    GLOBAL_REGION,
    Action,
    AssumeRole,
    AwsAccountSpec,
    MonitoringSpec,
    SecretRef,
)
from gdpr_operator.reconcilers import ComponentReport, Context, Reconciler
from gdpr_operator.reconcilers.audit import (
    CloudFrontWaf,
    CloudTrail,
    ConfigRecorder,
    ConfigRules,
    S3AccessLogging,
    S3ObjectLevelLogging,
    TrustedAdvisorSecurity,
    VpcFlowLogs,
    WafLogging,
)
from gdpr_operator.sandbox import SandboxControl, cloudfront_distribution, cloudfront_web_acl

from fixtures.calls import writes
from fixtures.contexts import context, spec

REGION, OTHER, EDGE = "eu-west-1", "eu-central-1", "us-east-1"
TRAILS, RECORDERS, FLOW_LOGS, ACCESS_LOGS = (
    CloudTrail(),
    ConfigRecorder(),
    VpcFlowLogs(),
    S3AccessLogging(),
)
DISTRIBUTIONS, WAF_LOGS, DATA_EVENTS, RULES, ADVISOR = (
    CloudFrontWaf(),
    WafLogging(),
    S3ObjectLevelLogging(),
    ConfigRules(),
    TrustedAdvisorSecurity(),
)
COMPONENTS: Sequence[Reconciler] = (
    TRAILS,
    RECORDERS,
    FLOW_LOGS,
    ACCESS_LOGS,
    DISTRIBUTIONS,
    WAF_LOGS,
    DATA_EVENTS,
    RULES,
    ADVISOR,
)
NOT_AVAILABLE = (
    "not available: the AWS Support API, which Trusted Advisor answers through, needs a "
    "Business, Enterprise On-Ramp or Enterprise Support plan (SubscriptionRequiredException)"
)

Seen = dict[str, tuple[bool, str]]
"""resource -> (compliant, reason)"""


def _observe(
    layer: Aws,
    account: AccountAccess,
    policy: str = "Observe",
    regions: Sequence[str] = (REGION,),
    resolved: Sequence[str] | None = None,
    **fields: object,
) -> Context:
    """`resolved`: `regions` as the engine resolves them for the pass, when they hold "*"."""
    return context(
        layer,
        spec([account.name], list(regions), managementPolicy=policy, **fields),
        regions=resolved,
    )


async def _seen(component: Reconciler, ctx: Context, target: Target) -> Seen:
    report = await component.reconcile(ctx, target)
    assert {(r.check, r.account, r.region, r.action) for r in report.results} <= {
        (component.checks[0].id, target.account, target.region, Action.NONE)
    }
    return {r.resource: (r.compliant, r.reason) for r in report.results}


async def _bucket(layer: Aws, target: Target, prefix: str, **params: str) -> str:
    name = f"{prefix}-{target.account_id}"
    await layer.call(
        target,
        "s3",
        "create_bucket",
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": target.region},
        **params,
    )
    return name


def _request(layer: Aws, account: AccountAccess, monitoring: MonitoringSpec) -> engine.Request:
    """An engine request for `monitoring`, its one account bound through AssumeRole."""
    assert account.role_arn is not None
    bound = AwsAccountSpec(
        account.name,
        account.account_id,
        AssumeRole(account.role_arn, None, "gdpr-operator", 3600),
        frozenset({"security"}),
    )

    async def no_secret(ref: SecretRef) -> str:
        raise AssertionError(f"no ExternalId to read, asked for {ref}")

    return engine.Request("security", "web", monitoring, {bound.name: bound}.get, no_secret, layer)


def _reads(sandbox: SandboxControl, account: AccountAccess) -> list[tuple[str, str]]:
    return sorted(
        (call["operation"], call["region"])
        for call in sandbox.calls()
        if call["account"] == account.account_id
        for _ in range(call["count"])
    )


async def test_cloudtrail_wants_a_logging_multi_region_trail_with_management_events(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx = _observe(layer, scratch_account)
    account, here, home = (
        Target(scratch_account, region) for region in (GLOBAL_REGION, REGION, OTHER)
    )
    assert await _seen(TRAILS, ctx, account) == {"": (False, "no multi-Region trail")}

    bucket = await _bucket(layer, home, "trail")
    await layer.call(here, "cloudtrail", "create_trail", Name="local", S3BucketName=bucket)
    await layer.call(here, "cloudtrail", "start_logging", Name="local")
    assert await _seen(TRAILS, ctx, account) == {
        "": (
            False,
            ("no multi-Region trail (1 single-Region trail(s), which cover one Region each)"),
        )
    }

    arn = (
        await layer.call(
            home,
            "cloudtrail",
            "create_trail",
            Name="org",
            S3BucketName=bucket,
            IsMultiRegionTrail=True,
        )
    )["TrailARN"]
    await layer.call(
        home,
        "cloudtrail",
        "put_event_selectors",
        TrailName="org",
        EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}],
    )
    assert await _seen(TRAILS, ctx, account) == {
        arn: (False, ("trail org is not logging and does not log read management events"))
    }

    await layer.call(home, "cloudtrail", "start_logging", Name="org")
    await layer.call(
        home,
        "cloudtrail",
        "put_event_selectors",
        TrailName="org",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    sandbox.clear_calls()
    assert await _seen(TRAILS, ctx, account) == {arn: (True, "compliant")}
    # Listed in the spec's region (the shadow of the trail), read in its home Region.
    assert _reads(sandbox, scratch_account) == [
        ("DescribeTrails", REGION),
        ("GetEventSelectors", OTHER),
        ("GetTrailStatus", OTHER),
    ]


async def test_cloudtrail_lists_trails_in_the_first_enabled_region_for_every_region(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    sandbox.clear_calls()
    # The pass's regions, resolved as the engine does as the pass starts; CloudTrail lists
    # the trails in the first of them.
    resolved = await layer.regions(scratch_account, ["*"])
    first = resolved[0]
    ctx = _observe(layer, scratch_account, regions=["*"], resolved=resolved)
    await _seen(TRAILS, ctx, Target(scratch_account, GLOBAL_REGION))
    assert ("DescribeTrails", first) in _reads(sandbox, scratch_account)
    assert {
        iam_action(call["service"], call["operation"])
        for call in sandbox.calls()
        if call["account"] == scratch_account.account_id
    } == {"ec2:DescribeRegions", "cloudtrail:DescribeTrails"}


async def test_config_wants_a_recorder_recording_every_supported_type(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx, target = _observe(layer, scratch_account), Target(scratch_account, REGION)
    assert await _seen(RECORDERS, ctx, target) == {
        "": (False, "no AWS Config configuration recorder in this region")
    }

    role = f"arn:aws:iam::{scratch_account.account_id}:role/config"
    await layer.call(
        target,
        "config",
        "put_configuration_recorder",
        ConfigurationRecorder={
            "name": "default",
            "roleARN": role,
            "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::EC2::Instance"]},
        },
    )
    assert await _seen(RECORDERS, ctx, target) == {
        "default": (
            False,
            ("recorder default is not recording and records selected resource types only"),
        )
    }

    await layer.call(
        target,
        "config",
        "put_configuration_recorder",
        ConfigurationRecorder={
            "name": "default",
            "roleARN": role,
            "recordingGroup": {"allSupported": True},
        },
    )
    await layer.call(
        target,
        "config",
        "put_delivery_channel",
        DeliveryChannel={"name": "default", "s3BucketName": await _bucket(layer, target, "config")},
    )
    await layer.call(
        target, "config", "start_configuration_recorder", ConfigurationRecorderName="default"
    )
    sandbox.clear_calls()
    assert await _seen(RECORDERS, ctx, target) == {"default": (True, "compliant")}
    assert _reads(sandbox, scratch_account) == [
        ("DescribeConfigurationRecorderStatus", REGION),
        ("DescribeConfigurationRecorders", REGION),
    ]


async def test_each_vpc_wants_an_active_delivering_flow_log_of_its_own(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx, target = _observe(layer, scratch_account), Target(scratch_account, REGION)
    (default,) = (await layer.call(target, "ec2", "describe_vpcs"))["Vpcs"]
    assert await _seen(FLOW_LOGS, ctx, target) == {default["VpcId"]: (False, "no flow log")}

    broken, partial = [
        (await layer.call(target, "ec2", "create_vpc", CidrBlock=cidr))["Vpc"]["VpcId"]
        for cidr in ("10.1.0.0/16", "10.2.0.0/16")
    ]
    subnet = (
        await layer.call(target, "ec2", "create_subnet", VpcId=partial, CidrBlock="10.2.1.0/24")
    )["Subnet"]["SubnetId"]
    await layer.call(target, "logs", "create_log_group", logGroupName="/vpc/flow")

    async def flow_log(kind: str, resource: str, group: str) -> str:
        created = await layer.call(
            target,
            "ec2",
            "create_flow_logs",
            ResourceType=kind,
            ResourceIds=[resource],
            TrafficType="ALL",
            LogGroupName=group,
            DeliverLogsPermissionArn=f"arn:aws:iam::{scratch_account.account_id}:role/flow",
        )
        return str(created["FlowLogIds"][0])

    await flow_log("VPC", default["VpcId"], "/vpc/flow")
    failing = await flow_log("VPC", broken, "/vpc/missing")  # moto: delivery FAILED
    await flow_log("Subnet", subnet, "/vpc/flow")
    sandbox.clear_calls()
    # Another pass: the region's VPCs and flow logs are read once per pass, not once ever.
    assert await _seen(FLOW_LOGS, ctx.next_pass(), target) == {
        default["VpcId"]: (True, "compliant"),
        broken: (False, f"flow log {failing} cannot deliver: Access error"),
        partial: (False, "no flow log"),
    }
    assert _reads(sandbox, scratch_account) == [
        ("DescribeFlowLogs", REGION),
        ("DescribeVpcs", REGION),
    ]


async def test_each_bucket_of_the_region_wants_access_logging_but_log_targets(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx, target = _observe(layer, scratch_account), Target(scratch_account, REGION)
    assert await _seen(ACCESS_LOGS, ctx, target) == {}

    logs = await _bucket(layer, target, "logs", ACL="log-delivery-write")
    data, plain = await _bucket(layer, target, "data"), await _bucket(layer, target, "plain")
    await _bucket(layer, Target(scratch_account, OTHER), "elsewhere")  # not a spec region
    await layer.call(
        target,
        "s3",
        "put_bucket_logging",
        Bucket=data,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": f"{data}/"}},
    )
    sandbox.clear_calls()
    assert await _seen(ACCESS_LOGS, ctx, target) == {
        data: (True, "compliant"),
        logs: (True, "log target bucket: holds the access logs of 1 bucket(s)"),
        plain: (False, "server access logging is off"),
    }
    # One listing filtered to the region, then one read per bucket.
    assert _reads(sandbox, scratch_account) == [("GetBucketLogging", REGION)] * 3 + [
        ("ListBuckets", REGION)
    ]


async def test_each_distribution_wants_a_web_acl_and_each_web_acl_logging(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx = _observe(layer, scratch_account)
    account, edge = Target(scratch_account, GLOBAL_REGION), Target(scratch_account, EDGE)
    assert await _seen(DISTRIBUTIONS, ctx, account) == {}
    assert await _seen(WAF_LOGS, ctx, account) == {}

    edge_acl = await cloudfront_web_acl(layer, edge, "edge")
    shop = await cloudfront_distribution(layer, edge, "shop", edge_acl)
    blog = await cloudfront_distribution(layer, edge, "blog", edge_acl)
    assets = await cloudfront_distribution(layer, edge, "assets")
    sandbox.clear_calls()
    assert await _seen(DISTRIBUTIONS, ctx, account) == {
        shop: (True, "web ACL edge"),
        blog: (True, "web ACL edge"),
        assets: (False, "no WAF web ACL filters its requests"),
    }
    assert _reads(sandbox, scratch_account) == [("ListDistributions", EDGE)]
    protects = ", ".join(sorted((shop, blog)))
    assert await _seen(WAF_LOGS, ctx, account) == {
        edge_acl: (False, f"logging is off (protects {protects})")
    }

    group = f"arn:aws:logs:{EDGE}:{scratch_account.account_id}:log-group:aws-waf-logs-edge"
    await layer.call(
        edge,
        "wafv2",
        "put_logging_configuration",
        LoggingConfiguration={"ResourceArn": edge_acl, "LogDestinationConfigs": [group]},
    )
    sandbox.clear_calls()
    assert await _seen(WAF_LOGS, ctx, account) == {edge_acl: (True, f"logs to {group}")}
    # One listing, then one logging configuration per web ACL, however many it protects.
    assert _reads(sandbox, scratch_account) == [
        ("GetLoggingConfiguration", EDGE),
        ("ListDistributions", EDGE),
    ]


async def _trail(layer: Aws, home: Target, name: str, bucket: str, **params: object) -> str:
    created = await layer.call(
        home, "cloudtrail", "create_trail", Name=name, S3BucketName=bucket, **params
    )
    return str(created["TrailARN"])


async def test_each_bucket_in_scope_wants_its_data_events_recorded_by_a_logging_trail(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx, here = _observe(layer, scratch_account), Target(scratch_account, REGION)
    home = Target(scratch_account, OTHER)
    assert await _seen(DATA_EVENTS, ctx, here) == {}

    data, plain = await _bucket(layer, here, "data"), await _bucket(layer, here, "plain")
    logs = await _bucket(layer, home, "trail-logs")  # not a spec region: not reported
    assert await _seen(DATA_EVENTS, ctx, here) == {
        data: (False, "no trail records its data events"),
        plain: (False, "no trail records its data events"),
    }

    await _trail(layer, home, "org", logs, IsMultiRegionTrail=True)
    await _trail(layer, home, "local-elsewhere", logs)  # covers eu-central-1 only
    selectors = [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{data}/"]}],
        }
    ]
    for name in ("org", "local-elsewhere"):
        await layer.call(
            home, "cloudtrail", "put_event_selectors", TrailName=name, EventSelectors=selectors
        )
    await layer.call(home, "cloudtrail", "start_logging", Name="local-elsewhere")
    assert await _seen(DATA_EVENTS, ctx, here) == {
        data: (False, "trail org selects its data events but is not logging"),
        plain: (False, "no trail records its data events"),
    }

    await layer.call(home, "cloudtrail", "start_logging", Name="org")
    sandbox.clear_calls()
    assert await _seen(DATA_EVENTS, ctx, here) == {
        data: (True, "data events recorded by trail org"),
        plain: (False, "no trail records its data events"),
    }
    # Trails listed where the buckets are, read in their home Region; no tags asked for.
    assert _reads(sandbox, scratch_account) == [
        ("DescribeTrails", REGION),
        ("GetEventSelectors", OTHER),
        ("GetTrailStatus", OTHER),
        ("ListBuckets", REGION),
    ]

    await layer.call(
        here,
        "s3",
        "put_bucket_tagging",
        Bucket=data,
        Tagging={"TagSet": [{"Key": "data", "Value": "personal"}]},
    )
    tagged = _observe(
        layer, scratch_account, s3ObjectLevelLogging={"selector": {"tags": {"data": "personal"}}}
    )
    sandbox.clear_calls()
    assert await _seen(DATA_EVENTS, tagged, here) == {
        data: (True, "data events recorded by trail org")
    }
    assert ("GetBucketTagging", REGION) in _reads(sandbox, scratch_account)


async def test_each_config_rule_reports_what_it_found(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx, target = _observe(layer, scratch_account), Target(scratch_account, REGION)
    assert await _seen(RULES, ctx, target) == {"": (False, "no AWS Config rule in this region")}

    for name, identifier in (
        ("versioning", "S3_BUCKET_VERSIONING_ENABLED"),
        ("encrypted-volumes", "ENCRYPTED_VOLUMES"),
        ("rds-public", "RDS_INSTANCE_PUBLIC_ACCESS_CHECK"),
        ("fresh", "S3_BUCKET_LOGGING_ENABLED"),
    ):
        await layer.call(
            target,
            "config",
            "put_config_rule",
            ConfigRule={
                "ConfigRuleName": name,
                "Source": {"Owner": "AWS", "SourceIdentifier": identifier},
            },
        )

    def evaluations(rule: str, *found: tuple[str, str]) -> None:
        sandbox.put_config_evaluations(
            scratch_account.account_id,
            REGION,
            rule,
            [
                {"resourceType": "AWS::S3::Bucket", "resourceId": bucket, "complianceType": kind}
                for bucket, kind in found
            ],
        )

    evaluations("versioning", ("a", "COMPLIANT"), ("b", "NON_COMPLIANT"), ("c", "NON_COMPLIANT"))
    evaluations("encrypted-volumes", ("vol-1", "COMPLIANT"))
    evaluations("rds-public", ("db", "NOT_APPLICABLE"))
    sandbox.clear_calls()
    assert await _seen(RULES, ctx, target) == {
        "versioning": (False, "non-compliant: 2 resource(s)"),
        "encrypted-volumes": (True, "compliant"),
        "rds-public": (True, "not applicable: no resource in the rule's scope"),
        "fresh": (False, "not evaluated yet (INSUFFICIENT_DATA)"),
    }
    assert _reads(sandbox, scratch_account) == [
        ("DescribeComplianceByConfigRule", REGION),
        ("DescribeConfigRules", REGION),
    ]


async def test_trusted_advisor_without_the_support_plan_is_not_available_not_an_error(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    ctx, account = _observe(layer, scratch_account), Target(scratch_account, GLOBAL_REGION)
    sandbox.clear_calls()
    assert await _seen(ADVISOR, ctx, account) == {"": (False, NOT_AVAILABLE)}
    assert _reads(sandbox, scratch_account) == [("DescribeTrustedAdvisorChecks", EDGE)]

    sandbox.set_support_plan(scratch_account.account_id, "business")
    assert await _seen(ADVISOR, ctx, account) == {
        "AWS CloudTrail Logging": (False, "error: 1 of 1 resource(s) flagged"),
        "Amazon S3 Bucket Permissions": (True, "compliant"),
    }

    here = Target(scratch_account, REGION)
    await _bucket(layer, here, "public", ACL="public-read")
    await _trail(layer, here, "org", await _bucket(layer, here, "trail"), IsMultiRegionTrail=True)
    await layer.call(here, "cloudtrail", "start_logging", Name="org")
    sandbox.clear_calls()
    assert await _seen(ADVISOR, ctx, account) == {
        "AWS CloudTrail Logging": (True, "compliant"),
        "Amazon S3 Bucket Permissions": (False, "warning: 1 of 2 resource(s) flagged"),
    }
    assert _reads(sandbox, scratch_account) == [
        ("DescribeTrustedAdvisorCheckSummaries", EDGE),
        ("DescribeTrustedAdvisorChecks", EDGE),
    ]


async def test_the_engine_reports_trusted_advisor_not_available_as_a_result_not_an_error(
    layer: Aws,
    scratch_account: AccountAccess,
) -> None:
    monitoring = spec([scratch_account.name], [REGION], auditChecks=["trustedadvisor.security"])
    outcome = await engine.reconcile(_request(layer, scratch_account, monitoring), [ADVISOR])
    assert outcome.errors == ()
    assert [(r.check, r.compliant, r.reason) for r in outcome.results] == [
        ("trustedadvisor.security", False, NOT_AVAILABLE)
    ]


@pytest.mark.parametrize("policy", ["Enforce", "Observe"])
async def test_never_a_write_nor_a_repair_nor_a_release_in_either_mode(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    policy: str,
) -> None:
    ctx = _observe(layer, scratch_account, policy)
    assert ctx.spec.enforce is (policy == "Enforce")
    await _bucket(layer, Target(scratch_account, REGION), "unlogged")
    sandbox.clear_calls()
    targets = [
        Target(scratch_account, GLOBAL_REGION if c.global_scope else REGION) for c in COMPONENTS
    ]
    results = [
        result
        for component, target in zip(COMPONENTS, targets, strict=True)
        for result in (await component.reconcile(ctx, target)).results
    ]
    # deletionPolicy Delete: nothing was created, so nothing is removed.
    for component, target in zip(COMPONENTS, targets, strict=True):
        assert await component.release(ctx, target) == ComponentReport()
    assert {r.check for r in results if not r.compliant} == {
        "cloudtrail.multi_region",
        "config.recorder",
        "vpc.flow_logs",
        "s3.access_logging",
        "s3.object_level_logging",
        "config.rules_compliance",
        "trustedadvisor.security",
    }  # no distribution: no CloudFront nor WAF result
    assert {r.action for r in results} == {Action.NONE}
    assert writes(sandbox, scratch_account) == []
    called = {
        iam_action(call["service"], call["operation"])
        for call in sandbox.calls()
        if call["account"] == scratch_account.account_id
    }
    assert called <= frozenset[str]().union(*(c.iam_actions for c in COMPONENTS))


@pytest.mark.parametrize(
    ("component", "denied"),
    [
        (TRAILS, ("cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails")),
        (
            RECORDERS,
            (
                "config",
                "DescribeConfigurationRecorderStatus",
                "config:DescribeConfigurationRecorderStatus",
            ),
        ),
        (FLOW_LOGS, ("ec2", "DescribeFlowLogs", "ec2:DescribeFlowLogs")),
        (ACCESS_LOGS, ("s3", "ListBuckets", "s3:ListAllMyBuckets")),
        (DISTRIBUTIONS, ("cloudfront", "ListDistributions", "cloudfront:ListDistributions")),
        (WAF_LOGS, ("cloudfront", "ListDistributions", "cloudfront:ListDistributions")),
        (DATA_EVENTS, ("cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails")),
        (RULES, ("config", "DescribeConfigRules", "config:DescribeConfigRules")),
        (
            ADVISOR,
            (
                "support",
                "DescribeTrustedAdvisorChecks",
                "support:DescribeTrustedAdvisorChecks",
            ),
        ),
    ],
)
async def test_access_denied_on_a_read_propagates_naming_the_action(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
    component: Reconciler,
    denied: tuple[str, str, str],
) -> None:
    service, operation, action = denied
    sandbox.add_fault(
        service, "access_denied", operation=operation, account=scratch_account.account_id
    )
    target = Target(scratch_account, GLOBAL_REGION if component.global_scope else REGION)
    with pytest.raises(AccessDeniedError) as raised:
        await component.reconcile(_observe(layer, scratch_account, "Enforce"), target)
    assert raised.value.action == action


async def test_the_engine_reports_a_denied_component_and_the_others_results(
    layer: Aws,
    scratch_account: AccountAccess,
    sandbox: SandboxControl,
) -> None:
    sandbox.add_fault(
        "config",
        "access_denied",
        operation="DescribeConfigurationRecorders",
        account=scratch_account.account_id,
    )
    monitoring = spec([scratch_account.name], [REGION])
    outcome = await engine.reconcile(_request(layer, scratch_account, monitoring), COMPONENTS[:4])
    (error,) = outcome.errors
    assert (error.account, error.region, error.component, error.reason) == (
        scratch_account.name,
        REGION,
        "ConfigRecorder",
        "AccessDenied",
    )
    assert "config:DescribeConfigurationRecorders" in error.message
    assert {r.check for r in outcome.results} == {
        "cloudtrail.multi_region",
        "vpc.flow_logs",
    }  # no bucket: no s3 result
    assert [name for name, _ in outcome.components] == [
        "CloudTrail",
        "ConfigRecorder",
        "VpcFlowLogs",
        "S3AccessLogging",
    ]
