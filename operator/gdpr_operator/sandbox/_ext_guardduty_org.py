"""GuardDuty's organisation configuration, which moto 5.2 does not implement.

- DescribeOrganizationConfiguration and UpdateOrganizationConfiguration (GET / POST
  /detector/{DetectorId}/admin): the delegated administrator's member auto-enable setting,
  AutoEnableOrganizationMembers NEW | ALL | NONE (NONE until set, as in AWS). The deprecated
  AutoEnable is kept consistent with it: answered true for NEW and ALL; a request with only
  AutoEnable sets NEW (true) or NONE (false). MemberAccountLimitReached is always false (the
  sandbox has no member limit). DataSources and Features are accepted and not kept: Describe
  omits them.
- The setting belongs to the caller's detector (account, region, detector): it lives beside
  moto's detector object and goes when the detector does (or moto is reset).
- Who may call: the detector must be the caller's (else BadRequestException, as AWS answers),
  and the caller must be the region's GuardDuty delegated administrator. moto records
  EnableOrganizationAdminAccount in the backend of the account that called it (the
  organisation's management account), region by region, in `admin_account_ids`. The rule:
  an account is the delegated administrator in a region when any account's GuardDuty backend
  for that region lists it there. Everyone else gets AWS's BadRequestException. To make an
  account the administrator, call EnableOrganizationAdminAccount as the management account:
  with any credentials not assumed into another account (the sandbox's default account).
"""

from __future__ import annotations

import threading
import weakref

from moto.core.responses import ActionResult, EmptyResult
from moto.guardduty.models import Detector, guardduty_backends
from moto.guardduty.responses import GuardDutyResponse

from ._errors import ApiError

AUTO_ENABLE_VALUES = ("NEW", "ALL", "NONE")
NOT_ADMINISTRATOR_MESSAGE = (
    "The request is rejected because the current account is not the delegated administrator "
    "of the organization."
)
_NOT_OWNED_MESSAGE = (
    "The request is rejected because the input detectorId is not owned by the current account."
)
_INVALID_MESSAGE = (
    "The request is rejected because an invalid or out-of-range value is specified as an "
    "input parameter."
)


class OrganizationConfigurations:
    """AutoEnableOrganizationMembers per moto detector object. Thread-safe."""

    def __init__(self) -> None:
        self._by_detector: weakref.WeakKeyDictionary[Detector, str] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, detector: Detector) -> str:
        with self._lock:
            return self._by_detector.get(detector, "NONE")

    def set(self, detector: Detector, auto_enable: str) -> None:
        with self._lock:
            self._by_detector[detector] = auto_enable


ORGANIZATION_CONFIGURATIONS = OrganizationConfigurations()


def is_delegated_administrator(account: str, region: str) -> bool:
    """Whether some account's GuardDuty backend in `region` (its management account's) has
    designated `account` with EnableOrganizationAdminAccount."""
    for per_region in list(guardduty_backends.values()):
        if region in per_region and account in per_region[region].admin_account_ids:
            return True
    return False


class GuardDutyOrganizationExtensions(GuardDutyResponse):
    """The operations listed in the module docstring, on top of moto's GuardDuty."""

    OPERATIONS = frozenset({"DescribeOrganizationConfiguration", "UpdateOrganizationConfiguration"})

    def describe_organization_configuration(self) -> ActionResult:
        auto_enable = ORGANIZATION_CONFIGURATIONS.get(self._administered_detector())
        return ActionResult(
            {
                "AutoEnable": auto_enable != "NONE",
                "AutoEnableOrganizationMembers": auto_enable,
                "MemberAccountLimitReached": False,
            }
        )

    def update_organization_configuration(self) -> ActionResult:
        detector = self._administered_detector()
        members = self._get_param("autoEnableOrganizationMembers")
        legacy = self._get_param("autoEnable")
        if members is None and legacy is None:
            return EmptyResult()  # only DataSources / Features, which are not kept
        if members is None:
            members = "NEW" if legacy else "NONE"
        if members not in AUTO_ENABLE_VALUES:
            raise ApiError("BadRequestException", _INVALID_MESSAGE)
        ORGANIZATION_CONFIGURATIONS.set(detector, str(members))
        return EmptyResult()

    def _administered_detector(self) -> Detector:
        detector_id = self.path.split("/detector/", 1)[1].split("/", 1)[0]
        detector = guardduty_backends[self.current_account][self.region].detectors.get(detector_id)
        if detector is None:
            raise ApiError("BadRequestException", _NOT_OWNED_MESSAGE)
        if not is_delegated_administrator(self.current_account, self.region):
            raise ApiError("BadRequestException", NOT_ADMINISTRATOR_MESSAGE)
        return detector
