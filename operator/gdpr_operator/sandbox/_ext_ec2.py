"""EC2 as AWS answers it where moto 5.2 does not, from moto's own EC2 and IAM state.

- DescribeRegions: the regions of the request's partition only (moto lists the aws-cn and
  aws-us-gov regions as enabled in the aws partition too), each with its OptInStatus, as AWS
  answers: the regions AWS enables by default (`DEFAULT_REGIONS`, launched before 20 March
  2019) are `opt-in-not-required`; every later one in moto's list (af-south-1, ap-east-1,
  eu-south-1, me-south-1, ...) is an opt-in region, `not-opted-in` (the sandbox opts in to
  none, and does not refuse calls to them). Without AllRegions only the enabled regions are
  listed; RegionNames and the filters `region-name`, `endpoint` and `opt-in-status` (values
  may hold `*` wildcards) narrow the list; any other filter is InvalidParameterValue. Other
  partitions: moto's regions of that partition, all `opt-in-not-required`.
- The instance's profile, as DescribeInstances shows it (`IamInstanceProfile` {Arn, Id}),
  follows its profile association, with the profile's own id as `Id` (moto writes the
  association id): after RunInstances, AssociateIamInstanceProfile and
  ReplaceIamInstanceProfileAssociation (moto leaves the replaced profile on the instance).
- RunInstances with IamInstanceProfile gives the profile to every instance launched (moto:
  the first only).
- Pending associations (`ASSOCIATION_HOLDS`, reached through POST /_gdpr/ec2/association-state,
  see `_app`): EC2 associates a profile at once in moto; a hold lists an instance's association
  as `associating` or `disassociating` in DescribeIamInstanceProfileAssociations (its `state`
  filter included) for the next `reads` answers listing it (none given: until cleared), and
  meanwhile DescribeInstances shows no profile on an instance whose association is
  `associating` (still the profile while `disassociating`). Once its reads are spent or it is
  cleared (DELETE), the association is `associated` again and shown; a hold on an association
  that is gone (disassociated, the instance terminated) does nothing and is not listed.
  Writes are moto's, unchanged (Associate on an instance that has an association is
  IncorrectState). Systems Manager (`_estate`) follows the association itself, held or not:
  the instance's agent keeps the credentials it had.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
from moto.ec2.responses import EC2Response
from moto.utilities.utils import get_partition

from ._errors import ApiError
from ._profile import REALISM

DEFAULT_PARTITION = "aws"
DEFAULT_REGIONS = frozenset(
    {
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
)
"""The aws partition's regions enabled by default: those launched before 20 March 2019.
AWS makes every later region opt-in."""
OPT_IN_NOT_REQUIRED, NOT_OPTED_IN = "opt-in-not-required", "not-opted-in"
ENABLED_STATUSES = frozenset({OPT_IN_NOT_REQUIRED, "opted-in"})
PENDING_STATES = frozenset({"associating", "disassociating"})
ASSOCIATED = "associated"
_REGION_FILTERS = {
    "region-name": "RegionName",
    "endpoint": "Endpoint",
    "opt-in-status": "OptInStatus",
}


def regions_of(partition: str) -> list[dict[str, str]]:
    """DescribeRegions' Regions of the partition (AllRegions, no filters), from moto's list."""
    return [
        {
            "RegionName": region.name,
            "Endpoint": region.endpoint,
            "OptInStatus": OPT_IN_NOT_REQUIRED
            if partition != DEFAULT_PARTITION or region.name in DEFAULT_REGIONS
            else NOT_OPTED_IN,
        }
        for region in RegionsAndZonesBackend.regions
        if get_partition(region.name) == partition
    ]


@dataclass(slots=True)
class _Hold:
    state: str
    reads: int | None
    """Answers left that list it pending; None: until cleared."""


class AssociationHolds:
    """Instance profile associations held pending (module doc), by (account, region,
    association id). Thread-safe."""

    def __init__(self) -> None:
        self._holds: dict[tuple[str, str, str], _Hold] = {}
        self._lock = threading.Lock()

    def hold(
        self, account: str, region: str, instance_id: str, state: str, reads: int | None = None
    ) -> dict[str, Any]:
        """Hold the instance's association in `state` for `reads` answers (None: until
        cleared). ValueError when the state is not a pending one, reads is not positive, or
        the instance has no association."""
        if state not in PENDING_STATES:
            raise ValueError(f"state must be one of {sorted(PENDING_STATES)}, not {state!r}")
        if reads is not None and reads < 1:
            raise ValueError("reads must be at least 1 (or absent: until cleared)")
        backend = _existing_backend(account, region)
        association = (
            None if backend is None else backend.iam_instance_profile_associations.get(instance_id)
        )
        if backend is None or association is None:
            raise ValueError(
                f"instance {instance_id} has no instance profile association in {account} {region}"
            )
        with self._lock:
            self._holds[(account, region, association.association_id)] = _Hold(state, reads)
            association.state = state
            show_profile(backend, instance_id)
        return {
            "associationId": association.association_id,
            "instanceId": instance_id,
            "state": state,
            "reads": reads,
        }

    def spend(self, account: str, region: str, association_ids: list[str]) -> None:
        """One read of each of these associations answered: holds whose reads are spent end."""
        with self._lock:
            for association_id in association_ids:
                key = (account, region, association_id)
                hold = self._holds.get(key)
                if hold is None or hold.reads is None:
                    continue
                hold.reads -= 1
                if hold.reads <= 0:
                    self._end(key)

    def clear(self) -> None:
        """End every hold: the associations that still exist are associated again."""
        with self._lock:
            for key in list(self._holds):
                self._end(key)

    def reset(self) -> None:
        """Forget every hold (moto's state is being reset: nothing to restore)."""
        with self._lock:
            self._holds.clear()

    def to_json(self) -> list[dict[str, Any]]:
        """The holds on associations that still exist."""
        with self._lock:
            return [
                {
                    "account": account,
                    "region": region,
                    "associationId": association_id,
                    "state": hold.state,
                    "reads": hold.reads,
                }
                for (account, region, association_id), hold in sorted(
                    self._holds.items(), key=lambda item: item[0]
                )
                if _association(account, region, association_id) is not None
            ]

    def _end(self, key: tuple[str, str, str]) -> None:
        account, region, association_id = key
        del self._holds[key]
        association = _association(account, region, association_id)
        if association is not None:
            association.state = ASSOCIATED
            show_profile(_existing_backend(account, region), association.instance_id)


ASSOCIATION_HOLDS = AssociationHolds()


def show_profile(backend: Any, instance_id: str) -> None:
    """Set the profile DescribeInstances shows on the instance from its association (module
    doc): none while associating or without one."""
    instance = backend.get_instance(instance_id)
    association = backend.iam_instance_profile_associations.get(instance_id)
    if association is None or association.state == "associating":
        instance.iam_instance_profile = None
        return
    profile = association.iam_instance_profile
    instance.iam_instance_profile = {"Arn": profile.arn, "Id": profile.id}


class Ec2Extensions(EC2Response):
    """The operations listed in the module docstring, on top of moto's EC2."""

    OPERATIONS = frozenset(
        {
            "DescribeRegions",
            "RunInstances",
            "AssociateIamInstanceProfile",
            "ReplaceIamInstanceProfileAssociation",
            "DescribeIamInstanceProfileAssociations",
        }
    )

    def describe_regions(self) -> ActionResult:
        self.error_on_dryrun()
        names = set(self._get_param("RegionNames", []))
        all_regions = bool(self._get_bool_param("AllRegions", False))
        filters = self._filters_from_querystring()
        unknown = set(filters) - set(_REGION_FILTERS)
        if unknown:
            raise ApiError("InvalidParameterValue", f"The filter '{sorted(unknown)[0]}' is invalid")
        regions = [
            region
            for region in regions_of(get_partition(self.region))
            if (all_regions or region["OptInStatus"] in ENABLED_STATUSES)
            and (not names or region["RegionName"] in names)
            and all(
                any(
                    fnmatch.fnmatchcase(region[_REGION_FILTERS[name]], pattern)
                    for pattern in values
                )
                for name, values in filters.items()
            )
        ]
        return ActionResult({"Regions": regions})

    def run_instances(self) -> ActionResult:
        self._require_known_profile()
        result = super().run_instances()
        reservation: Any = result.result
        name = self._get_param("IamInstanceProfile.Name")
        arn = self._get_param("IamInstanceProfile.Arn")
        backend = self.ec2_backend
        for instance in reservation.instances:
            if (name or arn) and instance.id not in backend.iam_instance_profile_associations:
                backend.associate_iam_instance_profile(
                    instance_id=instance.id,
                    iam_instance_profile_name=name,
                    iam_instance_profile_arn=None if name else arn,
                )
            show_profile(backend, instance.id)
        return result

    def associate_iam_instance_profile(self) -> ActionResult:
        self._require_known_profile()
        result = super().associate_iam_instance_profile()
        show_profile(self.ec2_backend, self._get_param("InstanceId"))
        return result

    def replace_iam_instance_profile_association(self) -> ActionResult:
        self._require_known_profile()
        result = super().replace_iam_instance_profile_association()
        association: Any = _field(result, "IamInstanceProfileAssociation")
        show_profile(self.ec2_backend, association.instance_id)
        return result

    def _require_known_profile(self) -> None:
        """The realistic profile's propagation (`_profile`): EC2 does not know an instance
        profile (or its role) made seconds ago yet, and says so as AWS does."""
        propagation = REALISM.propagation
        if propagation is None:
            return
        name = self._get_param("IamInstanceProfile.Name")
        arn = self._get_param("IamInstanceProfile.Arn")
        profile = name or (arn.rsplit("/", 1)[-1] if arn else None)
        if profile and REALISM.settling(
            "instance-profile", self.current_account, profile, propagation.instance_profile
        ):
            field = "name" if name else "arn"
            raise ApiError(
                "InvalidParameterValue",
                f"Value ({name or arn}) for parameter iamInstanceProfile.{field} is invalid. "
                f"Invalid IAM Instance Profile {field}",
            )

    def describe_iam_instance_profile_associations(self) -> ActionResult:
        # moto lists and filters (by the held states too, which are set on its associations);
        # the answer is written out here, so that a hold ending now shows in the next one.
        result = super().describe_iam_instance_profile_associations()
        listed: list[Any] = _field(result, "IamInstanceProfileAssociations")
        token = _field(result, "NextToken")
        answer = [
            {
                "AssociationId": association.association_id,
                "InstanceId": association.instance_id,
                "IamInstanceProfile": {
                    "Arn": association.iam_instance_profile.arn,
                    "Id": association.iam_instance_profile.id,
                },
                "State": association.state,
            }
            for association in listed
        ]
        ASSOCIATION_HOLDS.spend(
            self.current_account, self.region, [a["AssociationId"] for a in answer]
        )
        return ActionResult(
            {"IamInstanceProfileAssociations": answer, **({"NextToken": token} if token else {})}
        )


def _existing_backend(account: str, region: str) -> Any:
    """moto's EC2 backend of the account and region, if made (never makes one)."""
    regions = ec2_backends.get(account)  # dict.get: unlike [], it never makes a backend
    return None if regions is None else regions.get(region)


def _association(account: str, region: str, association_id: str) -> Any:
    """moto's instance profile association with that id, if it exists."""
    backend = _existing_backend(account, region)
    if backend is None:
        return None
    return next(
        (
            a
            for a in list(backend.iam_instance_profile_associations.values())
            if a.association_id == association_id
        ),
        None,
    )


def _field(result: ActionResult, name: str) -> Any:
    body: Any = result.result
    return body.get(name) if isinstance(body, dict) else getattr(body, name, None)
