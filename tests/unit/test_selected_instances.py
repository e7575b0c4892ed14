"""The selected instances as DescribeInstances describes them (pure parsing)."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.reconcilers._instances import SelectedInstance


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"InstanceId": "i-1"}, SelectedInstance("i-1", windows=False, profile_arn=None)),
        (
            {"InstanceId": "i-1", "Platform": "windows"},
            SelectedInstance("i-1", windows=True, profile_arn=None),
        ),
        (
            {
                "InstanceId": "i-1",
                "IamInstanceProfile": {"Arn": "arn:aws:iam::1:instance-profile/p"},
            },
            SelectedInstance("i-1", windows=False, profile_arn="arn:aws:iam::1:instance-profile/p"),
        ),
    ],
)
def test_selected_instance_from_describe_instances(
    reply: dict[str, Any], expected: SelectedInstance
) -> None:
    assert SelectedInstance.from_api(reply) == expected
