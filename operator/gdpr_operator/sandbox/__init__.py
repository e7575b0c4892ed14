"""The AWS sandbox: moto, plus what the operator needs and moto lacks, on 127.0.0.1.

Run it with `gdpr-operator sandbox [--port N] [--seed demo|large] [--profile instant|aws]` (it
prints its URL), or in-process with `running_sandbox(port=0, seed=None, profile=None)`; point
AWS clients at it with AWS_ENDPOINT_URL (or `AwsSettings(endpoint_url=...)`). Any credentials
work; they act in the default account 123456789012, from which each seeded account is reached
by assuming `arn:aws:iam::<account>:role/gdpr-operator` (see `_seeds` for the estates), which
holds the operator's policy, or `gdpr-sandbox-admin`, allowed everything, as `setup_layer`
does to set estates up.

Profiles (`_profile`): `instant` (the default) answers at once; `aws` adds latency, AWS's
request token buckets with AWS's throttling errors, and eventual consistency (new instance
profiles and roles, SSM registration, association runs), selected by `--profile aws` or
GDPR_SANDBOX_PROFILE=aws, its times scaled by GDPR_SANDBOX_TIME_SCALE.

What it adds to moto (each module says which APIs and why):

- `_ext_ssm`: DescribeInstanceInformation, derived from EC2 instances and the policies of
  their profiles' roles; State Manager associations, applied to instances as they come online
  (at each agent tick, and before association reads).
- `_ext_ec2`: DescribeRegions of the request's partition only, with AWS's OptInStatus
  (opt-in regions not opted in), honouring AllRegions and filters; DescribeInstances'
  IamInstanceProfile follows the profile association (moto's Replace left the old one);
  RunInstances gives its IamInstanceProfile to every instance launched (moto: the first);
  instance profile associations held pending on request (below).
- `_ext_guardduty`: GuardDuty findings (seeded) and ListFindings, GetFindings,
  GetFindingsStatistics.
- `_ext_sts`: AssumeRole that requires the role to exist and its ExternalId to match;
  assumed-role credentials that can be made to expire (below).
- `_ext_logs`: AssociateKmsKey (the key must exist in moto's KMS).
- `_ext_sqs`: a message sent costs the same however many the queue holds (moto computed
  every queue attribute, counts of its messages among them, for each message sent);
  messages delivered into a queue as EventBridge delivers them (below).
- `_ext_cloudformation`: the AWS::SQS::QueuePolicy resource type (a stack's queue policy),
  which moto's CloudFormation skips.
- `_ext_cloudfront`: ListDistributions' summaries carry each distribution's WebACLId.
- `_ext_config`: DescribeComplianceByConfigRule, derived from moto's rules and the
  evaluations seeded for them (below).
- `_ext_support`: Support plans (basic unless set: SubscriptionRequiredException on every
  Support API call, as in AWS); Trusted Advisor's check list with the security checks the
  sandbox evaluates from its state, and their DescribeTrustedAdvisorCheckSummaries.
- `_agent_sim`: simulated CloudWatch agents: every GDPR_SANDBOX_AGENT_PERIOD seconds (10;
  0: off) each running instance whose AmazonCloudWatch-ManageAgent run succeeded puts a
  heartbeat into its configuration's existing log groups, stream {instance_id} (not counted
  in /_gdpr/calls); each tick first lets State Manager apply associations. The loop is
  `AgentSimulator(period)`, its default period `configured_period()` (the argument, else
  the `PERIOD_VARIABLE` environment variable, else 10).
- `_iam_enforce` (aws profile): IAM evaluation of assumed roles' calls against their
  identity policies (`_iam_eval`: Deny over Allow over implicit deny, resources with IAM
  paths, the condition operators the operator's policy uses; the role's inline and attached
  managed policies together), each call's resources and context derived by `_iam_context`;
  the operator role of each account has the operator's generated policies attached, made in
  the account as customer-managed policies (`gdpr_operator.reconcilers.operator_policies`).
- `_cloudtrail`: what AWS puts on EventBridge for each write call served (the CloudTrail
  management event, with the caller's userIdentity and the request's parameters) and EC2
  instance state changes, delivered by moto's rules to their targets (SQS queues among them)
  after GDPR_SANDBOX_EVENT_DELAY seconds (default 0). `_ext_events`: a target that is an event
  bus of another account or Region gets the event unchanged (its account and region kept),
  only as the bus's resource policy and the target's role (trust, events:PutEvents) allow.
- AWS managed IAM policies are loaded.

Control endpoints (JSON), also reachable through `SandboxControl`:

- `POST /_gdpr/faults` {service, fault, operation?, account?, region?, count?, rate?,
  latency_ms?} switches a fault on (see `_faults`); `GET` lists them, `DELETE` clears them.
- `GET /_gdpr/calls[?since=EPOCH_SECONDS]`: requests seen per (service, operation, account,
  region), or only those that arrived at or after `since` (the latest 100,000 are timed);
  `DELETE` resets the counts.
- `POST /_gdpr/guardduty/findings` {account, region, detectorId?, findings: [{type,
  severity, resourceType?, instanceId?}]} seeds findings, each also a "GuardDuty Finding"
  event on the region's default EventBridge bus (see `_cloudtrail`).
- `POST /_gdpr/sqs/messages` {account, region, queue, bodies: [...]} puts each body into
  the queue (by name) as a message, as EventBridge delivers to a rule's target: no API call
  counted; answers {messageIds}.
- `POST /_gdpr/ec2/association-state` {account, region, instanceId, state: associating |
  disassociating, reads?} holds the instance's profile association in that state for the
  next `reads` DescribeIamInstanceProfileAssociations answers listing it (absent: until
  cleared; see `_ext_ec2`); `GET` lists the holds, `DELETE` ends them.
- `POST /_gdpr/config/evaluations` {account, region, rule, evaluations: [{resourceType,
  resourceId, complianceType}]} records what an existing Config rule found.
- `POST /_gdpr/support/plan` {account, plan}: the account's Support plan.
- `POST /_gdpr/sts/expire-sessions` {account}: the credentials assumed into that account so
  far expire: requests signed with them get ExpiredToken; new AssumeRole calls work.
- `POST /_gdpr/agents/tick`: one tick of the simulated agents, as their loop's (State
  Manager applies associations, then the agents ship); answers {shipments: [{account,
  region, instanceId, logGroup, logStream, messages}]}.
- `POST /_gdpr/ssm/apply`: State Manager applies associations to the instances that came
  online, in every account and region; answers {runs: [{account, region, associationId,
  version, instanceIds}]}.
- `GET /_gdpr/ssm/associations?account=&region=`: the State Manager associations there as
  they stand (nothing applied first), each with its version, each instance's latest status
  at that version, and its executions with every instance's status.
- `POST /_gdpr/ssm/failed-runs` {account, region, associationId, instanceId}: a run of the
  association's current version failed on that instance (a managed instance it targets):
  it is not run there again at that version, and configures no agent there.
- `GET /_gdpr/profile`: the profile in force.
- `POST /_gdpr/reset`: forget all state.

Services are named as in boto3 ("guardduty", "cloudwatch"), operations as in the API
("ListDetectors").
"""

from ._accounts import (
    ADMIN_ROLE,
    OPERATOR_ROLE,
    operator_access,
    operator_role_arn,
    other_principal,
)
from ._agent_sim import PERIOD_VARIABLE, AgentSimulator, configured_period
from ._client import SandboxControl
from ._iam_eval import Authorization, Decision, decide
from ._profile import PROFILES, profile_in_force
from ._seeds import (
    DEMO_ACCOUNTS,
    DEMO_REGIONS,
    LargeEstate,
    apply_seed,
    cloudfront_distribution,
    cloudfront_web_acl,
    demo_access,
    sandbox_layer,
    setup_layer,
)
from ._server import main, running_sandbox, serve

__all__ = [
    "ADMIN_ROLE",
    "DEMO_ACCOUNTS",
    "DEMO_REGIONS",
    "OPERATOR_ROLE",
    "PERIOD_VARIABLE",
    "PROFILES",
    "AgentSimulator",
    "Authorization",
    "Decision",
    "LargeEstate",
    "SandboxControl",
    "apply_seed",
    "cloudfront_distribution",
    "cloudfront_web_acl",
    "configured_period",
    "decide",
    "demo_access",
    "main",
    "operator_access",
    "operator_role_arn",
    "other_principal",
    "profile_in_force",
    "running_sandbox",
    "sandbox_layer",
    "serve",
    "setup_layer",
]
