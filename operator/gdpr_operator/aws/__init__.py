"""AWS access layer: the only package that talks to boto3/botocore.

Reconcilers reach AWS through one `Aws` object, per event loop::

    from gdpr_operator import aws

    prod = aws.AccountAccess(
        name="prod", account_id="111111111111",
        role_arn="arn:aws:iam::111111111111:role/gdpr-operator", external_id="s3cr3t",
    )
    async with aws.Aws(aws.AwsSettings(max_concurrency=16)) as layer:
        regions = await layer.regions(prod, ["*"])            # every enabled region
        targets = [aws.Target(prod, region) for region in regions]

        async def detectors(target: aws.Target) -> list[str]:
            reply = await layer.call(target, "guardduty", "list_detectors")
            return reply["DetectorIds"]

        for outcome in await aws.gather_outcomes(targets, detectors, timeout_per_target=60):
            ...  # outcome.value, or outcome.error: an AwsError for that target only

        async for page in layer.paginate(targets[0], "ec2", "describe_instances"):
            ...

Services and operations are named as in boto3 ("guardduty", "list_detectors"); replies are
boto3's parsed dicts.

Credentials: an account without `role_arn` uses the default credential chain (environment,
IRSA, EKS Pod Identity, ...); with it, STS AssumeRole from that identity (with the ExternalId
the caller read from the account's Secret), refreshed before expiry. `AWS_ENDPOINT_URL` (and
`AWS_ENDPOINT_URL_<SERVICE>`) apply to every service, STS included.

Resources: clients are cached per (account, region, service) in an LRU bounded by
`AwsSettings.client_capacity`, on botocore sessions sharing one loader. Calls run in a
dedicated thread pool, never on the event loop, under a global limit and one per
(account, service), with short connect/read timeouts.

Rates (`_rates`): before each attempt a call takes a token of AWS's own request bucket for
its account, region and API (`_buckets`: the sizes and refills AWS documents), waiting on
the event loop when the bucket is spent, so that a pass goes at the rate AWS allows.
AssumeRole, which botocore makes inside the first call that needs an account's credentials,
takes a token of the operator's own identity's STS bucket in the home region, waiting in
that call's worker thread.
`RateLimits` is that set of buckets, for any client that means to keep to AWS's rates.

Retries (`_retries`): the layer's, not botocore's. 5xx and unreachable endpoints get
`max_attempts` attempts; throttling is retried for `throttle_patience` seconds from the
call's first attempt. Each page of a pagination is a call of its own (`_pages`), so a page
is retried without starting the pagination over.

Errors: every failure is an `AwsError` with a CamelCase `reason` and a human message:
`TemporaryAwsError` (throttled, 5xx, unreachable, timeout: retry later), `AccessDeniedError`
(names the IAM `action` and, when AWS says it, the `principal`), `PermanentAwsError`
(validation and other 4xx; `NotFoundError` for missing resources), `NoCredentialsError`
(no identity to sign with: reason CredentialsUnavailable).

Metrics: every HTTP attempt is counted in `gdpr_aws_api_calls_total{service,operation,outcome}`
(outcome: success, throttled, error), retries included.

Identity: `Aws.caller_identity(access)` says whom an account's credentials name (STS
GetCallerIdentity), so that a caller can check it is the account it meant.

IAM: `iam_action(service, operation)` names the action a call needs, `is_read_operation`
whether it only reads (Describe*, Get*, List*); `LAYER_IAM_ACTIONS` are the ones the layer
calls on its own (AssumeRole, GetCallerIdentity, DescribeRegions);
`Aws.observe_calls(observer)` tells `observer` (service, operation, IAM action) of every call
a layer makes.

Tags: `tag_list(mapping)` is a mapping as AWS APIs take tags ([{"Key", "Value"}], sorted by
key), `tag_map(tags)` such a list as a mapping.
"""

from ._buckets import Bucket, TokenBucket, bucket_for
from ._concurrency import TargetOutcome, gather_outcomes
from ._errors import (
    AccessDeniedError,
    AwsError,
    NoCredentialsError,
    NotFoundError,
    PermanentAwsError,
    TemporaryAwsError,
)
from ._iam_actions import iam_action, is_read_action, is_read_operation
from ._layer import LAYER_IAM_ACTIONS, Aws, CallerIdentity
from ._rates import RateLimits
from ._tags import tag_list, tag_map
from ._targets import AccountAccess, AwsSettings, Target

__all__ = [
    "LAYER_IAM_ACTIONS",
    "AccessDeniedError",
    "AccountAccess",
    "Aws",
    "AwsError",
    "AwsSettings",
    "Bucket",
    "CallerIdentity",
    "NoCredentialsError",
    "NotFoundError",
    "PermanentAwsError",
    "RateLimits",
    "Target",
    "TargetOutcome",
    "TemporaryAwsError",
    "TokenBucket",
    "bucket_for",
    "gather_outcomes",
    "iam_action",
    "is_read_action",
    "is_read_operation",
    "tag_list",
    "tag_map",
]
