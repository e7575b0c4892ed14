"""Seeds: estates the sandbox starts with, built through its own API (the aws layer).

`demo`: a small non-compliant estate in two accounts and three regions (eu-west-1,
eu-central-1, eu-north-1), each account reachable through role `gdpr-operator` from the
default account 123456789012:

- prod 111111111111 (AssumeRole needs ExternalId `gdpr-demo-prod`), shop 222222222222 (none);
- GuardDuty: prod enabled in eu-west-1 (publishing every SIX_HOURS), disabled in
  eu-central-1, missing in eu-north-1; shop enabled in eu-central-1 (FIFTEEN_MINUTES),
  disabled in eu-north-1, missing in eu-west-1; findings of low, medium and high severity
  on each enabled detector;
- EC2 in eu-west-1 and eu-central-1 of each account: `web-1` (Linux) and `web-2` (Windows)
  tagged gdpr-scope=web without a profile; in eu-west-1 `web-3` tagged gdpr-scope=web with
  another profile (`legacy-app`, a role without the agent's policies); `batch-1`, untagged,
  and `ops-1`, untagged with a profile carrying AmazonSSMManagedInstanceCore (SSM sees it):
  neither may ever be touched;
- CloudWatch Logs in eu-west-1: /gdpr/web/linux/syslog and /gdpr/web/linux/nginx/access
  that never expire, and /aws/lambda/unrelated (not the operator's);
- prod only, for the audit checks: in eu-west-1 bucket `customer-data-111111111111`, with
  neither server access logging nor a trail recording its data events, and AWS Config rule
  `s3-bucket-versioning-enabled` that found it NON_COMPLIANT; CloudFront distributions
  `shop` (behind AWS WAF web ACL `edge`, which does not log) and `assets` (no web ACL); a
  Business Support plan, so Trusted Advisor answers (shop keeps Basic: not available).
  Every VPC (moto's default ones) has no flow log.

`large`: a parameterised estate for benchmarks: `accounts` accounts (ids 100000000000 + n,
names acct-NNN, no ExternalId) x the first `regions` regions of `LARGE_REGIONS`, each with
`instances` web instances (gdpr-scope=web, no profile), `log_groups` log groups under
/gdpr/web that never expire, and a GuardDuty detector enabled in every other region.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from gdpr_operator.aws import AccountAccess, Aws, AwsSettings, Target

from ._accounts import ADMIN_ROLE, admin_role_arn, operator_access, operator_role_arn
from ._client import SandboxControl

LINUX_AMI = "ami-760aaa0f"  # moto's Amazon Linux image, in every region
WINDOWS_AMI = "ami-b7e93bce"  # moto's Windows Server 2016 image
IAM_REGION = "us-east-1"  # IAM is global; its calls are signed for us-east-1
WEB_TAGS = {"gdpr-scope": "web"}
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
EC2_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)

DEMO_REGIONS = ("eu-west-1", "eu-central-1", "eu-north-1")
DEMO_ACCOUNTS = {"prod": ("111111111111", "gdpr-demo-prod"), "shop": ("222222222222", None)}
LARGE_REGIONS = (
    "eu-west-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
)
_DEMO_GUARDDUTY = {
    ("prod", "eu-west-1"): (True, "SIX_HOURS"),
    ("prod", "eu-central-1"): (False, "SIX_HOURS"),
    ("shop", "eu-central-1"): (True, "FIFTEEN_MINUTES"),
    ("shop", "eu-north-1"): (False, "SIX_HOURS"),
}
_DEMO_FINDINGS = [
    {"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2.0},
    {"type": "UnauthorizedAccess:EC2/SSHBruteForce", "severity": 5.0},
    {"type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "severity": 8.0},
]


@dataclass(frozen=True, slots=True)
class LargeEstate:
    accounts: int = 100
    regions: int = 17
    instances: int = 2
    log_groups: int = 2

    def access(self) -> list[AccountAccess]:
        return [
            operator_access(f"acct-{n:03d}", str(100000000000 + n)) for n in range(self.accounts)
        ]

    def region_names(self) -> tuple[str, ...]:
        return LARGE_REGIONS[: self.regions]


def demo_access() -> list[AccountAccess]:
    """The demo's accounts, as the operator reaches them."""
    return [
        operator_access(name, account_id, external_id)
        for name, (account_id, external_id) in DEMO_ACCOUNTS.items()
    ]


def apply_seed(url: str, seed: str, large: LargeEstate | None = None) -> None:
    """Seed the sandbox at `url` ("demo" or "large"); blocks until done."""
    seeders: dict[str, Callable[[Aws, SandboxControl], Awaitable[None]]] = {
        "demo": _seed_demo,
        "large": lambda layer, control: _seed_large(layer, large or LargeEstate()),
    }
    if seed not in seeders:
        raise ValueError(f"unknown seed {seed!r}: one of {sorted(seeders)}")

    async def run() -> None:
        # Generous timeouts: first calls into an account or region make moto build backends.
        async with setup_layer(url, read_timeout=300.0) as layer:
            await seeders[seed](layer, SandboxControl(url))

    asyncio.run(run())


def sandbox_layer(url: str, **settings: Any) -> Aws:
    """An aws layer pointed at the sandbox, as its default account's identity: in another
    account, as the role its target names (the operator's)."""
    return Aws(_sandbox_settings(url, settings))


def setup_layer(url: str, **settings: Any) -> Aws:
    """An aws layer pointed at the sandbox that acts in each account, where a call names its
    operator role, as its administrator (`gdpr-sandbox-admin`, allowed everything): it sets
    estates up and changes them behind the operator's back, whatever the operator's policy
    allows."""
    return _AdministratorAws(_sandbox_settings(url, settings))


def _sandbox_settings(url: str, settings: dict[str, Any]) -> AwsSettings:
    return AwsSettings(
        endpoint_url=url,
        static_credentials=("sandbox", "sandbox"),
        sts_region=IAM_REGION,
        **settings,
    )


class _AdministratorAws(Aws):
    """Calls meant for an account's operator role go through its administrator role; calls
    through any other role (another principal's) are made as that role."""

    async def call(self, target: Target, service: str, operation: str, **params: Any) -> Any:
        access = target.access
        if access.role_arn == operator_role_arn(access.account_id):
            admin = replace(
                access,
                name=f"{access.name}:{ADMIN_ROLE}",
                role_arn=admin_role_arn(access.account_id),
                external_id=None,
            )
            target = replace(target, access=admin)
        return await super().call(target, service, operation, **params)


async def _seed_demo(layer: Aws, control: SandboxControl) -> None:
    await asyncio.gather(*(_seed_demo_account(layer, control, access) for access in demo_access()))


async def _seed_demo_account(layer: Aws, control: SandboxControl, access: AccountAccess) -> None:
    iam = Target(access, IAM_REGION)
    await _role_with_profile(
        layer, iam, "legacy-app", ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    )
    await _role_with_profile(layer, iam, "ops-ssm", [SSM_CORE_POLICY])
    if access.name == "prod":
        await _seed_demo_audit(layer, control, access)
    for region in DEMO_REGIONS:
        target = Target(access, region)
        detector = _DEMO_GUARDDUTY.get((access.name, region))
        if detector is not None:
            enabled, frequency = detector
            await layer.call(
                target,
                "guardduty",
                "create_detector",
                Enable=enabled,
                FindingPublishingFrequency=frequency,
            )
            if enabled:
                await asyncio.to_thread(
                    control.seed_findings, access.account_id, region, _DEMO_FINDINGS
                )
        if region == "eu-north-1":
            continue
        await _instance(layer, target, "web-1", WEB_TAGS)
        await _instance(layer, target, "web-2", WEB_TAGS, image=WINDOWS_AMI)
        if region == "eu-west-1":
            await _instance(layer, target, "web-3", WEB_TAGS, profile="legacy-app")
            await _instance(layer, target, "batch-1", {})
            await _instance(layer, target, "ops-1", {}, profile="ops-ssm")
            for group in (
                "/gdpr/web/linux/syslog",
                "/gdpr/web/linux/nginx/access",
                "/aws/lambda/unrelated",
            ):
                await layer.call(target, "logs", "create_log_group", logGroupName=group)


async def _seed_demo_audit(layer: Aws, control: SandboxControl, access: AccountAccess) -> None:
    """prod's share of the estate for the audit checks (see the module docstring)."""
    here, edge = Target(access, "eu-west-1"), Target(access, IAM_REGION)
    bucket = f"customer-data-{access.account_id}"
    await layer.call(
        here,
        "s3",
        "create_bucket",
        Bucket=bucket,
        CreateBucketConfiguration={"LocationConstraint": here.region},
    )
    await layer.call(
        here,
        "config",
        "put_config_rule",
        ConfigRule={
            "ConfigRuleName": "s3-bucket-versioning-enabled",
            "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_VERSIONING_ENABLED"},
        },
    )
    evaluation = {
        "resourceType": "AWS::S3::Bucket",
        "resourceId": bucket,
        "complianceType": "NON_COMPLIANT",
    }
    await asyncio.to_thread(
        control.put_config_evaluations,
        access.account_id,
        here.region,
        "s3-bucket-versioning-enabled",
        [evaluation],
    )
    edge_acl = await cloudfront_web_acl(layer, edge, "edge")
    await cloudfront_distribution(layer, edge, "shop", edge_acl)
    await cloudfront_distribution(layer, edge, "assets")
    await asyncio.to_thread(control.set_support_plan, access.account_id, "business")


async def cloudfront_web_acl(layer: Aws, edge: Target, name: str) -> str:
    """An AWS WAF web ACL for CloudFront distributions (scope CLOUDFRONT, in us-east-1),
    allowing by default; returns its ARN."""
    created = await layer.call(
        edge,
        "wafv2",
        "create_web_acl",
        Name=name,
        Scope="CLOUDFRONT",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": name,
        },
    )
    return str(created["Summary"]["ARN"])


async def cloudfront_distribution(layer: Aws, edge: Target, name: str, web_acl: str = "") -> str:
    """A CloudFront distribution of origin NAME.example.com, comment NAME, behind `web_acl`
    (an ARN; "": none); returns its id."""
    created = await layer.call(
        edge,
        "cloudfront",
        "create_distribution",
        DistributionConfig={
            "CallerReference": name,
            "Comment": name,
            "Enabled": True,
            "WebACLId": web_acl,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": name,
                        "DomainName": f"{name}.example.com",
                        "CustomOriginConfig": {
                            "HTTPPort": 80,
                            "HTTPSPort": 443,
                            "OriginProtocolPolicy": "https-only",
                        },
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": name,
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            },
        },
    )
    return str(created["Distribution"]["Id"])


async def _seed_large(layer: Aws, estate: LargeEstate) -> None:
    async def seed_target(access: AccountAccess, index: int, region: str) -> None:
        target = Target(access, region)
        if index % 2 == 0:
            await layer.call(target, "guardduty", "create_detector", Enable=True)
        if estate.instances:
            await layer.call(
                target,
                "ec2",
                "run_instances",
                ImageId=LINUX_AMI,
                MinCount=estate.instances,
                MaxCount=estate.instances,
                TagSpecifications=[_tags("instance", {"Name": "web", **WEB_TAGS})],
            )
        for n in range(estate.log_groups):
            await layer.call(
                target, "logs", "create_log_group", logGroupName=f"/gdpr/web/linux/group-{n}"
            )

    await asyncio.gather(
        *(
            seed_target(access, index, region)
            for access in estate.access()
            for index, region in enumerate(estate.region_names())
        )
    )


async def _role_with_profile(layer: Aws, iam: Target, name: str, policies: list[str]) -> None:
    await layer.call(iam, "iam", "create_role", RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    for policy in policies:
        await layer.call(iam, "iam", "attach_role_policy", RoleName=name, PolicyArn=policy)
    await layer.call(iam, "iam", "create_instance_profile", InstanceProfileName=name)
    await layer.call(
        iam, "iam", "add_role_to_instance_profile", InstanceProfileName=name, RoleName=name
    )


async def _instance(
    layer: Aws,
    target: Target,
    name: str,
    tags: dict[str, str],
    *,
    image: str = LINUX_AMI,
    profile: str | None = None,
) -> None:
    params: dict[str, Any] = {
        "ImageId": image,
        "MinCount": 1,
        "MaxCount": 1,
        "InstanceType": "t3.micro",
        "TagSpecifications": [_tags("instance", {"Name": name, **tags})],
    }
    if profile is not None:
        params["IamInstanceProfile"] = {"Name": profile}
    await layer.call(target, "ec2", "run_instances", **params)


def _tags(resource_type: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "ResourceType": resource_type,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
