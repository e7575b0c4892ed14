"""What a GdprMonitoring may have done in an account: its spec cut to the AwsAccount's
`spec.permissions`, each refused field named."""

from __future__ import annotations

import pytest

from gdpr_operator.model import (
    AwsAccountSpec,
    InstancesSpec,
    MonitoringSpec,
    OtherProfilePolicy,
    TenantPermissions,
    denials,
    other_profile_policy,
    parse_monitoring,
)

FIELD = "spec.instances.instanceProfile.whenOtherProfileAttached"


def _account(permissions: TenantPermissions) -> AwsAccountSpec:
    return AwsAccountSpec("prod", "111111111111", None, frozenset({"sec"}), permissions)


def _spec(when_other: str) -> tuple[MonitoringSpec, InstancesSpec]:
    spec = parse_monitoring(
        {
            "accounts": ["prod"],
            "regions": ["eu-west-1"],
            "instances": {
                "selector": {"tags": {"role": "web"}},
                "instanceProfile": {"whenOtherProfileAttached": when_other},
            },
        }
    )
    assert spec.instances is not None
    return spec, spec.instances


@pytest.mark.parametrize(
    ("when_other", "permission", "granted"),
    [
        (
            "AttachPolicies",
            "attachAgentPoliciesToInstanceRoles",
            TenantPermissions(attach_agent_policies_to_instance_roles=True),
        ),
        (
            "Replace",
            "replaceOtherInstanceProfiles",
            TenantPermissions(replace_other_instance_profiles=True),
        ),
    ],
)
def test_changing_another_applications_profile_is_the_accounts_decision(
    when_other: str, permission: str, granted: TenantPermissions
) -> None:
    spec, instances = _spec(when_other)
    nothing = TenantPermissions()

    (denial,) = denials(spec, _account(nothing))
    assert denial.field == FIELD
    assert f"{when_other} not permitted by AwsAccount prod" in denial.message
    assert f"spec.permissions.{permission}" in denial.message
    assert other_profile_policy(instances, nothing) is OtherProfilePolicy.REPORT

    assert denials(spec, _account(granted)) == ()
    assert other_profile_policy(instances, granted) is OtherProfilePolicy(when_other)


def test_report_needs_no_permission() -> None:
    spec, instances = _spec("Report")
    assert denials(spec, _account(TenantPermissions())) == ()
    assert other_profile_policy(instances, TenantPermissions()) is OtherProfilePolicy.REPORT
