"""What IAM authorizes for a request to the sandbox: for each operation the operator calls,
the actions (its own and those AWS authorizes as part of it), the resource ARNs and the
request context AWS evaluates the caller's policies against (`_iam_eval.Authorization`).

Derived from the request and moto's state (and the extensions'):

- IAM roles and instance profiles: their ARNs with their IAM paths (the request's Path on
  create), `aws:ResourceTag/*` from their tags, `iam:PolicyARN` from PolicyArn; a role or
  profile that does not exist is named at the path `/`.
- Tags on create (CreateRole, CreateInstanceProfile, PutParameter, CreateAssociation,
  CreateLogGroup, CreateDetector): `aws:RequestTag/*` and `aws:TagKeys`, and the tagging
  action AWS also authorizes on the new resource (iam:TagRole, iam:TagInstanceProfile,
  ssm:AddTagsToResource on a parameter, logs:TagResource) where its ARN is known before it
  exists.
- EC2 instance profile associations: the instance's ARN, `ec2:NewInstanceProfile` and
  `ec2:InstanceProfile` (the profile already associated), and iam:PassRole of the profile's
  role with `iam:PassedToService` ec2.amazonaws.com.
- EC2 flow logs: CreateFlowLogs on the new flow log (`vpc-flow-log/*`, its tags as
  `aws:RequestTag/*` and `aws:TagKeys`) and on each VPC, ec2:CreateTags of those tags with
  `ec2:CreateAction` CreateFlowLogs, iam:PassRole of DeliverLogsPermissionArn with
  `iam:PassedToService` vpc-flow-logs.amazonaws.com; DeleteFlowLogs on each flow log with its
  tags (`aws:ResourceTag/*`).
- SSM: parameter ARNs (GetParameters: each name), an association's ARN and tags, the
  document (AWS's own documents have no account in their ARN) and the instances targeted by
  id; GuardDuty: the detector of the path and its tags; Logs: the log group; SQS: the
  queue (by name or URL; sqs:TagQueue for tags on create); EventBridge: the rule, of its
  own calls and of its targets' (rule/BUS/NAME on a bus of its own), the bus by name
  (CreateEventBus, DescribeEventBus, DeleteEventBus, PutPermission), events:TagResource for
  tags on create, iam:PassRole of a target's RoleArn with `iam:PassedToService`
  events.amazonaws.com.

Every other operation is authorized on `*` with no context: only a statement allowing its
action on every resource allows it. sts:GetCallerIdentity needs no permission.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from moto.ec2.models import ec2_backends
from moto.guardduty.models import guardduty_backends
from moto.iam.models import iam_backends
from moto.ssm.models import ssm_backends

from gdpr_operator.aws import iam_action

from ._ext_ssm import ASSOCIATIONS
from ._iam_eval import Authorization, ContextValue
from ._requests import AwsRequest

EC2_SERVICE = "ec2.amazonaws.com"
EVENTS = "events.amazonaws.com"
FLOW_LOGS_SERVICE = "vpc-flow-logs.amazonaws.com"
_AWS_DOCUMENT_PREFIXES = ("AWS-", "Amazon")
_TAG_SPECIFICATION = re.compile(r"TagSpecification\.(\d+)\.Tag\.(\d+)\.(Key|Value)")


@dataclass(frozen=True, slots=True)
class Call:
    """A request as IAM sees it: which API, its parameters, its path."""

    request: AwsRequest
    params: Mapping[str, str]
    """Query and EC2 protocols: the form's fields, flattened ("Tags.member.1.Key")."""
    body: Mapping[str, Any]
    """JSON protocols: the request's document."""
    path: str

    @property
    def action(self) -> str:
        return iam_action(self.request.service, self.request.operation)

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        where = self.request.region if region else ""
        return f"arn:aws:{service}:{where}:{self.request.account}:{resource}"


def authorizations(call: Call) -> list[Authorization]:
    """Everything IAM must allow for `call` to proceed; [] when it needs no permission."""
    if call.action == "sts:GetCallerIdentity":
        return []
    build = _BY_SERVICE.get(call.request.service)
    found = build(call) if build is not None else None
    return found if found is not None else [Authorization(call.action, "*")]


def _tag_context(tags: Mapping[str, str]) -> dict[str, ContextValue]:
    """aws:RequestTag/* and aws:TagKeys of tags given on create."""
    if not tags:
        return {}
    context: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    context["aws:TagKeys"] = sorted(tags)
    return context


def _with_tagging(made: Authorization, tagging: str, tagged: bool) -> list[Authorization]:
    """`made`, and when tags come with the create, the tagging action AWS also authorizes
    on the new resource (in the same context)."""
    return [made, Authorization(tagging, made.resource, made.context)] if tagged else [made]


def _resource_tags(tags: Mapping[str, str]) -> dict[str, ContextValue]:
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


def _key_values(
    pairs: Iterable[Mapping[str, str]], key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    return {pair[key]: pair.get(value, "") for pair in pairs}


def _form_list(params: Mapping[str, str], prefix: str) -> list[dict[str, str]]:
    """The members of a query-protocol list of structures (`Tags.member.N.Key`)."""
    members: dict[int, dict[str, str]] = {}
    for name, value in params.items():
        if name.startswith(prefix + "."):
            index, _, field = name.removeprefix(prefix + ".").partition(".")
            if index.isdigit():
                members.setdefault(int(index), {})[field] = value
    return [members[i] for i in sorted(members)]


# IAM


def _iam(call: Call) -> list[Authorization] | None:
    iam = iam_backends[call.request.account]["aws"]
    params, action = call.params, call.action
    tags = _key_values(_form_list(params, "Tags.member"))
    context: dict[str, ContextValue] = {}
    if "PolicyArn" in params:
        context["iam:PolicyARN"] = params["PolicyArn"]
    if call.request.operation in ("CreateRole", "CreateInstanceProfile"):
        kind = "role" if call.request.operation == "CreateRole" else "instance-profile"
        name = params.get("RoleName") or params.get("InstanceProfileName", "")
        arn = call.arn("iam", f"{kind}{params.get('Path', '/')}{name}", region=False)
        tagging = "iam:TagRole" if kind == "role" else "iam:TagInstanceProfile"
        return _with_tagging(Authorization(action, arn, _tag_context(tags)), tagging, bool(tags))
    if "InstanceProfileName" in params:
        # The profile is the resource (AddRoleToInstanceProfile's PassRole of the role is
        # not modelled: what context AWS gives it is undocumented).
        profile = _instance_profile(iam, params["InstanceProfileName"])
        resource = _iam_arn(call, "instance-profile", params["InstanceProfileName"], profile)
        current = _tags_of(getattr(profile, "tags", None))
        return [Authorization(action, resource, {**context, **_resource_tags(current)})]
    if "RoleName" in params:
        role = _role(iam, params["RoleName"])
        resource = _iam_arn(call, "role", params["RoleName"], role)
        current = _tags_of(getattr(role, "tags", None))
        return [
            Authorization(
                action, resource, {**context, **_resource_tags(current), **_tag_context(tags)}
            )
        ]
    return None


def _tags_of(tags: Any) -> dict[str, str]:
    """moto's tags, whichever way it keeps them: {key: {Key, Value}} or [{Key, Value}]."""
    if not tags:
        return {}
    pairs = tags.values() if isinstance(tags, dict) else tags
    return _key_values(pairs)


def _role(iam: Any, name: str) -> Any:
    return next((r for r in iam.roles.values() if r.name == name), None)


def _instance_profile(iam: Any, name: str) -> Any:
    return next((p for p in iam.instance_profiles.values() if p.name == name), None)


def _iam_arn(call: Call, kind: str, name: str, found: Any) -> str:
    return str(found.arn) if found is not None else call.arn("iam", f"{kind}/{name}", region=False)


def _sts(call: Call) -> list[Authorization] | None:
    role_arn = call.params.get("RoleArn")
    return [Authorization(call.action, role_arn)] if role_arn else None


# EC2


def _ec2(call: Call) -> list[Authorization] | None:
    operation, params = call.request.operation, call.params
    if operation == "CreateFlowLogs":
        return _create_flow_logs(call)
    if operation == "DeleteFlowLogs":
        return _delete_flow_logs(call)
    if operation not in (
        "AssociateIamInstanceProfile",
        "ReplaceIamInstanceProfileAssociation",
        "DisassociateIamInstanceProfile",
    ):
        return None
    ec2 = ec2_backends[call.request.account][call.request.region]
    iam = iam_backends[call.request.account]["aws"]
    association = next(
        (
            a
            for a in ec2.iam_instance_profile_associations.values()
            if a.association_id == params.get("AssociationId")
        ),
        None,
    )
    instance_id = params.get("InstanceId") or getattr(association, "instance_id", "")
    context: dict[str, ContextValue] = {}
    if association is not None:
        context["ec2:InstanceProfile"] = str(association.iam_instance_profile.arn)
    new_profile = _named_profile(iam, params)
    if new_profile is not None:
        context["ec2:NewInstanceProfile"] = str(new_profile.arn)
    found = [Authorization(call.action, call.arn("ec2", f"instance/{instance_id}"), context)]
    for role in getattr(new_profile, "roles", []):
        found.append(
            Authorization("iam:PassRole", str(role.arn), {"iam:PassedToService": EC2_SERVICE})
        )
    return found


def _create_flow_logs(call: Call) -> list[Authorization]:
    """The new flow log (its ARN unknown before: vpc-flow-log/*) with the tags given, each
    VPC it records, ec2:CreateTags of those tags (ec2:CreateAction CreateFlowLogs), and the
    PassRole of its delivery role to VPC Flow Logs."""
    params = call.params
    tags = _flow_log_tags(params)
    context = _tag_context(tags)
    made = Authorization(call.action, call.arn("ec2", "vpc-flow-log/*"), context)
    found = [made]
    found += [
        Authorization(call.action, call.arn("ec2", f"vpc/{vpc}"), context)
        for name, vpc in sorted(params.items())
        if name.startswith("ResourceId.") and params.get("ResourceType") == "VPC"
    ]
    if tags:
        tagging = {**context, "ec2:CreateAction": "CreateFlowLogs"}
        found.append(Authorization("ec2:CreateTags", made.resource, tagging))
    role = params.get("DeliverLogsPermissionArn")
    if role:
        found.append(
            Authorization("iam:PassRole", role, {"iam:PassedToService": FLOW_LOGS_SERVICE})
        )
    return found


def _delete_flow_logs(call: Call) -> list[Authorization]:
    """Each flow log, with its tags (aws:ResourceTag)."""
    ec2 = ec2_backends[call.request.account][call.request.region]
    ids = [value for name, value in sorted(call.params.items()) if name.startswith("FlowLogId.")]
    return [
        Authorization(
            call.action,
            call.arn("ec2", f"vpc-flow-log/{flow_log}"),
            _resource_tags(
                _key_values(ec2.describe_tags(filters={"resource-id": [flow_log]}), "key", "value")
            ),
        )
        for flow_log in ids
    ]


def _flow_log_tags(params: Mapping[str, str]) -> dict[str, str]:
    """The tags of TagSpecifications for the new flow log
    (`TagSpecification.N.ResourceType`, `TagSpecification.N.Tag.M.Key`)."""
    pairs: dict[tuple[int, int], dict[str, str]] = {}
    for name, value in params.items():
        match = _TAG_SPECIFICATION.fullmatch(name)
        if match and params.get(f"TagSpecification.{match[1]}.ResourceType") == "vpc-flow-log":
            pairs.setdefault((int(match[1]), int(match[2])), {})[match[3]] = value
    return _key_values(pairs[key] for key in sorted(pairs))


def _named_profile(iam: Any, params: Mapping[str, str]) -> Any:
    arn = params.get("IamInstanceProfile.Arn")
    name = params.get("IamInstanceProfile.Name")
    return next((p for p in iam.instance_profiles.values() if p.arn == arn or p.name == name), None)


# SSM


def _ssm(call: Call) -> list[Authorization] | None:
    body, operation = call.body, call.request.operation
    if operation in ("PutParameter", "DeleteParameter", "GetParameter", "GetParameters"):
        names = body.get("Names") or [body.get("Name", "")]
        tags = _key_values(body.get("Tags") or [])
        found = [
            Authorization(call.action, _parameter_arn(call, n), _parameter_context(call, n, tags))
            for n in names
        ]
        if tags:
            found.append(
                Authorization("ssm:AddTagsToResource", found[0].resource, found[0].context)
            )
        return found
    if operation in ("CreateAssociation", "UpdateAssociation", "DeleteAssociation"):
        return _association(call)
    return None


def _parameter_arn(call: Call, name: str) -> str:
    return call.arn("ssm", f"parameter/{name.lstrip('/')}")


def _parameter_context(call: Call, name: str, tags: Mapping[str, str]) -> dict[str, ContextValue]:
    ssm = ssm_backends[call.request.account][call.request.region]
    existing = ssm.get_parameter(name) if name else None
    current = ssm.list_tags_for_resource("Parameter", name) if existing is not None else {}
    return {**_resource_tags(current), **_tag_context(tags)}


def _association(call: Call) -> list[Authorization]:
    body = call.body
    context = _tag_context(_key_values(body.get("Tags") or []))
    found: list[Authorization] = []
    association_id = body.get("AssociationId")
    if association_id:
        stored = ASSOCIATIONS.of(call.request.account, call.request.region).get(association_id)
        tags = _key_values(stored.tags) if stored is not None else {}
        found.append(
            Authorization(
                call.action,
                call.arn("ssm", f"association/{association_id}"),
                {**context, **_resource_tags(tags)},
            )
        )
    document = body.get("Name")
    if document:
        owned_by_aws = str(document).startswith(_AWS_DOCUMENT_PREFIXES)
        account = "" if owned_by_aws else call.request.account
        arn = f"arn:aws:ssm:{call.request.region}:{account}:document/{document}"
        found.append(Authorization(call.action, arn, context))
    instances = [body["InstanceId"]] if body.get("InstanceId") else []
    for target in body.get("Targets") or []:
        if target.get("Key") == "InstanceIds":
            instances += target.get("Values", [])
    found += [
        Authorization(call.action, call.arn("ec2", f"instance/{i}"), context) for i in instances
    ]
    return found


# GuardDuty, Logs


def _guardduty(call: Call) -> list[Authorization] | None:
    tags = call.body.get("tags") or {}
    context = _tag_context(tags)
    parts = call.path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "tags":
        return [Authorization(call.action, unquote(parts[1]), context)]
    if len(parts) < 2 or parts[0] != "detector":
        return [Authorization(call.action, "*", context)]
    backend = guardduty_backends[call.request.account][call.request.region]
    detector = backend.detectors.get(parts[1])
    current = detector.tags if detector is not None else {}
    resource = call.arn("guardduty", f"detector/{parts[1]}")
    return [Authorization(call.action, resource, {**context, **_resource_tags(current)})]


def _logs(call: Call) -> list[Authorization] | None:
    group = call.body.get("logGroupName")
    if not group:
        return None
    tags = call.body.get("tags") or {}
    made = Authorization(call.action, call.arn("logs", f"log-group:{group}"), _tag_context(tags))
    tagged = call.request.operation == "CreateLogGroup" and bool(tags)
    return _with_tagging(made, "logs:TagResource", tagged)


def _sqs(call: Call) -> list[Authorization] | None:
    """A queue by name (CreateQueue) or by URL (the rest); tags on create need TagQueue."""
    document = {**call.params, **call.body}
    name = (
        document.get("QueueName")
        or str(document.get("QueueUrl", "")).rstrip("/").rpartition("/")[2]
    )
    if not name:
        return None
    tagged = call.request.operation == "CreateQueue" and bool(
        document.get("tags") or document.get("Tag.1.Key")
    )
    return _with_tagging(Authorization(call.action, call.arn("sqs", name)), "sqs:TagQueue", tagged)


def _events(call: Call) -> list[Authorization] | None:
    """A rule by name (PutRule, DeleteRule) or as the rule of its targets, on the default
    bus (rule/NAME) or another (rule/BUS/NAME); a bus by name (CreateEventBus,
    DescribeEventBus, DeleteEventBus, and PutPermission's EventBusName); tags on create need
    TagResource; a target's RoleArn needs iam:PassRole of it, to EventBridge."""
    operation = call.request.operation
    if operation in ("TagResource", "ListTagsForResource"):
        return [Authorization(call.action, str(call.body.get("ResourceARN", "*")))]
    bus = str(call.body.get("EventBusName") or "default").rsplit("/", 1)[-1]
    if operation in ("CreateEventBus", "DescribeEventBus", "DeleteEventBus"):
        name = str(call.body.get("Name") or "default")
        made = Authorization(call.action, call.arn("events", f"event-bus/{name}"))
        tagged = operation == "CreateEventBus" and bool(call.body.get("Tags"))
        return _with_tagging(made, "events:TagResource", tagged)
    if operation in ("PutPermission", "RemovePermission"):
        return [Authorization(call.action, call.arn("events", f"event-bus/{bus}"))]
    named = call.body.get("Name") or call.body.get("Rule")
    if not named:
        return None
    rule = f"rule/{named}" if bus == "default" else f"rule/{bus}/{named}"
    made = Authorization(call.action, call.arn("events", rule))
    tagged = operation == "PutRule" and bool(call.body.get("Tags"))
    needed = _with_tagging(made, "events:TagResource", tagged)
    if operation == "PutTargets":
        needed += [
            Authorization("iam:PassRole", str(target["RoleArn"]), {"iam:PassedToService": EVENTS})
            for target in call.body.get("Targets", [])
            if target.get("RoleArn")
        ]
    return needed


_BY_SERVICE = {
    "iam": _iam,
    "sts": _sts,
    "ec2": _ec2,
    "ssm": _ssm,
    "guardduty": _guardduty,
    "logs": _logs,
    "sqs": _sqs,
    "events": _events,
}


def parsed_body(body: bytes) -> dict[str, Any]:
    """A JSON protocol request's document ({} when it has none)."""
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
