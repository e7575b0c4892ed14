"""What the layer is asked to reach: an account (and how), a region, and the layer's settings."""

from __future__ import annotations

from dataclasses import dataclass

MIN_SESSION_SECONDS = 900
MAX_SESSION_SECONDS = 43200


@dataclass(frozen=True, slots=True)
class AccountAccess:
    """How to reach one AWS account.

    `name` is the account key (the AwsAccount object's name). Without `role_arn` the layer
    uses its own identity (the default credential chain: env, IRSA, EKS Pod Identity, ...);
    with it, STS AssumeRole from that identity, passing `external_id` when set.
    """

    name: str
    account_id: str
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str = "gdpr-operator"
    duration_seconds: int = 3600

    def __post_init__(self) -> None:
        if not (MIN_SESSION_SECONDS <= self.duration_seconds <= MAX_SESSION_SECONDS):
            raise ValueError(
                f"duration_seconds must be within [{MIN_SESSION_SECONDS}, "
                f"{MAX_SESSION_SECONDS}], got {self.duration_seconds}"
            )
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("external_id needs role_arn: it is an AssumeRole parameter")


@dataclass(frozen=True, slots=True)
class Target:
    """One account in one region: the unit that calls, limits and outcomes are about."""

    access: AccountAccess
    region: str

    @property
    def account(self) -> str:
        """The account key."""
        return self.access.name

    @property
    def account_id(self) -> str:
        return self.access.account_id

    def __str__(self) -> str:
        return f"{self.access.name}/{self.region}"


@dataclass(frozen=True, slots=True)
class AwsSettings:
    """Limits and timeouts of the layer. The defaults suit an operator sweeping many accounts."""

    max_concurrency: int = 16
    """Calls in flight at once, over all accounts (also the worker threads' number)."""
    per_account_service_concurrency: int = 4
    """Calls in flight at once to one service of one account, over all its regions: stricter
    than AWS, which throttles per account and region."""
    targets_in_flight: int = 32
    """Targets (component x account x region) worked on at once, over every gathering that
    takes its turns from the layer's `target_turns` (every full pass, however many run at
    once); a target's timeout starts with its turn."""
    max_clients: int | None = None
    """Clients kept for reuse (LRU); None: four times `max_concurrency`. A sweep's targets in
    flight each use a client per service; an evicted client is recreated when needed again
    (a few milliseconds of CPU: its class is shared, see `_shared_models`) and is garbage in
    reference cycles until the collector's next full pass, which costs peak RSS (compare
    sizes with scripts/bench scale_sweep --max-clients)."""
    max_attempts: int = 4
    """Attempts at a call that fails on AWS's side or cannot reach it, the first one
    included (see `_retries`)."""
    throttle_patience: float = 60.0
    """Seconds from a call's first attempt within which a throttled call is tried again
    (see `_retries`); past them it fails `Throttled`. Less than a pass gives one target."""
    connect_timeout: float = 3.0
    read_timeout: float = 15.0
    endpoint_url: str | None = None
    """One endpoint for every service, STS included (the sandbox); None: AWS's, or what
    AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> say."""
    static_credentials: tuple[str, str] | None = None
    """(access key id, secret key) for the operator's own identity instead of the default
    credential chain: for the sandbox and benchmarks, which accept any key."""
    sts_region: str | None = None
    """Region of the STS endpoint used for AssumeRole and region discovery; None: the
    configured default region (AWS_REGION, AWS_DEFAULT_REGION, profile), else us-east-1."""

    @property
    def client_capacity(self) -> int:
        return self.max_clients if self.max_clients is not None else 4 * self.max_concurrency
