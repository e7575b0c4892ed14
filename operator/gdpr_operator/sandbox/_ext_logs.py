"""CloudWatch Logs APIs that moto 5.2 lacks, on moto's own log groups and KMS keys.

- AssociateKmsKey: encrypts a log group with a KMS key from then on, so the operator can
  repair logs.encryption. The key must exist in moto's KMS (by id, ARN or alias, in the
  account and region its ARN names); the log group's kmsKeyId, which moto's
  DescribeLogGroups already reports, becomes the key given, as in AWS.
"""

from __future__ import annotations

from moto.core.responses import EmptyResult
from moto.kms.models import kms_backends
from moto.logs.responses import LogsResponse

from ._errors import ApiError


class LogsExtensions(LogsResponse):
    """The operations listed in the module docstring, on top of moto's CloudWatch Logs."""

    OPERATIONS = frozenset({"AssociateKmsKey"})

    def associate_kms_key(self) -> EmptyResult:
        name = self._get_param("logGroupName")
        key = self._get_param("kmsKeyId")
        group = self.logs_backend.groups.get(name)
        if group is None:
            raise ApiError("ResourceNotFoundException", "The specified log group does not exist.")
        if not self._key_exists(key):
            raise ApiError(
                "InvalidParameterException",
                f"Specified KMS key {key} does not exist or is not allowed.",
            )
        group.kms_key_id = key
        return EmptyResult()

    def _key_exists(self, key: str) -> bool:
        parts = key.split(":")
        account, region = (
            (parts[4], parts[3])
            if key.startswith("arn:") and len(parts) > 5
            else (self.current_account, self.region)
        )
        kms = kms_backends[account][region]
        alias = kms.get_alias_name(key)
        if alias.startswith("alias/"):
            return kms.get_key_id_from_alias(alias) is not None
        return kms.get_key_id(key) in kms.keys
