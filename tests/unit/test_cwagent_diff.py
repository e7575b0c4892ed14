"""The CloudWatch agent's pure parts: names, targets, what is wrong, and the repairing calls."""

from __future__ import annotations

from typing import Any

import pytest

from gdpr_operator.reconcilers._delta import Call
from gdpr_operator.reconcilers.cloudwatch_agent import Platform, render_configs
from gdpr_operator.reconcilers.cloudwatch_agent._diff import (
    AgentInstance,
    Delivery,
    Region,
    Run,
    association_call,
    association_problem,
    config_delta,
    config_problem,
    configure_problem,
    delivery_calls,
    installed_delta,
    parameter_call,
    parameter_request,
    run_problem,
)
from gdpr_operator.reconcilers.cloudwatch_agent._resources import (
    AgentAssociation,
    StoredConfig,
    configure_association,
    configure_name,
    install_association,
    install_name,
    parameter_name,
    tag_targeted,
    targets,
)

OWNER = "security/web"
CONFIG = render_configs(["linux-system"], group_prefix="/gdpr", retention_days=365)[Platform.LINUX]
NAME = "AmazonCloudWatch-gdpr_security_web_Linux"
TAGS = {"gdpr-operator:owner": OWNER}
BY_TAG = (("tag:gdpr-scope", ("web",)),)
BY_ID = (("InstanceIds", ("i-1", "i-2")),)


def test_names_carry_the_owner_and_the_prefix_the_agent_policy_reads() -> None:
    assert parameter_name(OWNER, Platform.WINDOWS) == "AmazonCloudWatch-gdpr_security_web_Windows"
    assert install_name(OWNER) == "gdpr_security_web_install"
    assert configure_name(OWNER, Platform.LINUX) == "gdpr_security_web_Linux_configure"
    # "_" is not allowed in Kubernetes names: "a-b/c" and "a/b-c" stay apart.
    assert install_name("a-b/c") != install_name("a/b-c")


def test_long_association_names_are_shortened_with_a_hash() -> None:
    long_owner = "team/" + "x" * 200
    name = configure_name(long_owner, Platform.LINUX)
    assert len(name) == 128
    assert name != configure_name(long_owner, Platform.WINDOWS)
    assert name == configure_name(long_owner, Platform.LINUX)


@pytest.mark.parametrize(
    ("selector", "platforms", "expected"),
    [
        ({"gdpr-scope": "web"}, 1, True),
        ({"gdpr-scope": "web"}, 2, False),  # a tag cannot tell Linux from Windows
        ({"gdpr-scope": "web", "env": "prod"}, 1, False),  # one tag: exact whatever SSM combines
    ],
)
def test_tag_targeted(selector: dict[str, str], platforms: int, expected: bool) -> None:
    assert tag_targeted(selector, platforms=platforms) is expected


def test_targets_by_tag_or_by_at_most_fifty_sorted_ids() -> None:
    assert targets({"gdpr-scope": "web"}, ["i-9"], tagged=True) == BY_TAG
    assert targets({"gdpr-scope": "web"}, ["i-2", "i-1"], tagged=False) == BY_ID
    many = [f"i-{n:03d}" for n in range(60)]
    assert targets({}, many, tagged=False) == (("InstanceIds", tuple(many[:50])),)
    assert targets({"gdpr-scope": "web"}, [], tagged=False) is None


def test_association_from_describe_association_reply_and_back() -> None:
    reply = {
        "AssociationId": "a-1",
        "AssociationVersion": "3",
        "Name": "AWS-ConfigureAWSPackage",
        "AssociationName": "gdpr_security_web_install",
        "Parameters": {"action": ["Install"], "name": ["AmazonCloudWatchAgent"]},
        "Targets": [{"Key": "tag:gdpr-scope", "Values": ["web"]}],
    }
    association = AgentAssociation.from_api(reply)
    assert association == AgentAssociation(
        name="gdpr_security_web_install",
        document="AWS-ConfigureAWSPackage",
        parameters={"action": ("Install",), "name": ("AmazonCloudWatchAgent",)},
        targets=BY_TAG,
        id="a-1",
        version="3",
    )
    assert association.request() == {
        key: reply[key] for key in ("Name", "AssociationName", "Parameters", "Targets")
    }


def test_the_configure_association_pins_the_parameter_version() -> None:
    wanted = configure_association(OWNER, Platform.LINUX, 4, BY_ID)
    assert wanted.document == "AmazonCloudWatch-ManageAgent"
    assert wanted.parameters == {
        "action": ("configure",),
        "mode": ("ec2",),
        "optionalConfigurationSource": ("ssm",),
        "optionalConfigurationLocation": (f"{NAME}:4",),
        "optionalRestart": ("yes",),
    }


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        (None, f"parameter {NAME} does not exist"),
        (StoredConfig(NAME, CONFIG.canonical_json, 2), None),
        (
            StoredConfig(NAME, "{}", 2),
            f"parameter {NAME} (version 2) differs from the rendered configuration "
            f"{CONFIG.content_hash}",
        ),
    ],
)
def test_config_problem(stored: StoredConfig | None, problem: str | None) -> None:
    assert config_problem(NAME, CONFIG, stored) == problem


def test_a_parameter_is_created_tagged_and_overwritten_untagged() -> None:
    created = parameter_request(NAME, CONFIG, None, OWNER, TAGS)
    assert created["Tags"] == [{"Key": "gdpr-operator:owner", "Value": OWNER}]
    assert "Overwrite" not in created
    overwritten = parameter_request(NAME, CONFIG, StoredConfig(NAME, "{}", 1), OWNER, TAGS)
    assert overwritten["Overwrite"] is True
    assert "Tags" not in overwritten  # AWS refuses tags with Overwrite
    for request in (created, overwritten):
        assert request["Value"] == CONFIG.canonical_json
        assert request["Type"] == "String"
        assert request["Tier"] == "Intelligent-Tiering"
    # Only an existing parameter, overwritten, must first be found this owner's.
    assert parameter_call(NAME, CONFIG, None, OWNER, TAGS).owned is None
    stored = StoredConfig(NAME, "{}", 1)
    assert parameter_call(NAME, CONFIG, stored, OWNER, TAGS) == Call(
        "ssm", "put_parameter", overwritten, once=True, owned=("Parameter", NAME)
    )


WANTED = install_association(OWNER, BY_TAG)


def _observed(**changes: Any) -> AgentAssociation:
    fields: dict[str, Any] = {
        "name": WANTED.name,
        "document": WANTED.document,
        "parameters": WANTED.parameters,
        "targets": WANTED.targets,
        "id": "a-1",
        "version": "2",
        **changes,
    }
    return AgentAssociation(**fields)


@pytest.mark.parametrize(
    ("observed", "problem"),
    [
        (None, "State Manager association gdpr_security_web_install does not exist"),
        (_observed(), None),
        (
            _observed(document="AWS-RunShellScript"),
            "association gdpr_security_web_install runs AWS-RunShellScript, "
            "not AWS-ConfigureAWSPackage",
        ),
        (
            _observed(parameters={"action": ("Uninstall",), "name": ("AmazonCloudWatchAgent",)}),
            "association gdpr_security_web_install has parameters "
            "action=Uninstall, name=AmazonCloudWatchAgent, "
            "not action=Install, name=AmazonCloudWatchAgent",
        ),
        (
            _observed(targets=BY_ID),
            "association gdpr_security_web_install targets InstanceIds=i-1,i-2, "
            "not tag:gdpr-scope=web",
        ),
    ],
)
def test_association_problem(observed: AgentAssociation | None, problem: str | None) -> None:
    assert association_problem(observed, WANTED) == problem


def test_association_calls_create_tagged_update_everything_or_nothing() -> None:
    assert association_call(None, WANTED, TAGS) == Call(
        "ssm",
        "create_association",
        {**WANTED.request(), "Tags": [{"Key": "gdpr-operator:owner", "Value": OWNER}]},
        once=True,
    )
    assert association_call(_observed(), WANTED, TAGS) is None
    # UpdateAssociation resets what it is not given: every field goes again; and only an
    # association found to be this owner's is updated.
    assert association_call(_observed(targets=BY_ID), WANTED, TAGS) == Call(
        "ssm",
        "update_association",
        {**WANTED.request(), "AssociationId": "a-1", "AssociationVersion": "2"},
        once=True,
        owned=("Association", "a-1"),
    )


def _configure(version: int, wanted_targets: tuple[Any, ...] = BY_TAG) -> AgentAssociation:
    wanted = configure_association(OWNER, Platform.LINUX, version, wanted_targets)
    return AgentAssociation(
        wanted.name, wanted.document, wanted.parameters, wanted.targets, id="c-1", version="1"
    )


@pytest.mark.parametrize(
    ("stored", "observed", "problem"),
    [
        (StoredConfig(NAME, CONFIG.canonical_json, 3), _configure(3), None),
        (
            StoredConfig(NAME, CONFIG.canonical_json, 3),
            _configure(2),
            f"association gdpr_security_web_Linux_configure has parameters action=configure, "
            f"mode=ec2, optionalConfigurationLocation={NAME}:2, optionalConfigurationSource=ssm, "
            f"optionalRestart=yes, not action=configure, mode=ec2, "
            f"optionalConfigurationLocation={NAME}:3, optionalConfigurationSource=ssm, "
            f"optionalRestart=yes",
        ),
        (
            StoredConfig(NAME, "{}", 3),
            _configure(3),
            "association gdpr_security_web_Linux_configure must apply the new configuration "
            f"{CONFIG.content_hash} once",
        ),
        (None, None, "State Manager association gdpr_security_web_Linux_configure does not exist"),
    ],
)
def test_configure_problem(
    stored: StoredConfig | None, observed: AgentAssociation | None, problem: str | None
) -> None:
    assert (
        configure_problem(
            OWNER, Platform.LINUX, CONFIG, stored=stored, observed=observed, wanted_targets=BY_TAG
        )
        == problem
    )


def _delivery(
    install: dict[str, str], configure: dict[str, str], targeted: frozenset[str] | None = None
) -> Delivery:
    return Delivery(None, targeted, Run("install", install), Run("configure", configure))


@pytest.mark.parametrize(
    ("delivery", "problem"),
    [
        (_delivery({"i-1": "Success"}, {"i-1": "Success"}), None),
        (
            _delivery({}, {}),
            "agent not installed: association install has not run on it (it "
            "runs once SSM manages the instance: see ssm.managed_instance)",
        ),
        (
            _delivery({"i-1": "Pending"}, {"i-1": "Pending"}),
            "agent not installed: association install is Pending on it",
        ),
        (
            _delivery({"i-1": "Success"}, {"i-1": "Failed"}),
            "configuration not applied: association configure is Failed on it",
        ),
        (
            _delivery({"i-1": "Success"}, {"i-1": "Success"}, frozenset({"i-2"})),
            "not targeted: an association targets at most 50 instance ids; select one platform's "
            "instances by one tag to target them by tag",
        ),
    ],
)
def test_run_problem(delivery: Delivery, problem: str | None) -> None:
    assert run_problem("i-1", delivery) == problem


def _region(
    stored: StoredConfig | None, observed: AgentAssociation | None, installed: bool = True
) -> Region:
    install = install_association(OWNER, BY_TAG)
    return Region(
        owner=OWNER,
        configs={Platform.LINUX: CONFIG},
        instances=(AgentInstance("i-1", Platform.LINUX),),
        stored={NAME: stored} if stored else {},
        associations={
            install.name: _observed() if installed else None,
            configure_name(OWNER, Platform.LINUX): observed,
        },
        install_targets=BY_TAG,
        configure_targets={Platform.LINUX: BY_TAG},
    )


def _locations(calls: tuple[Call, ...]) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (
            call.operation,
            tuple(call.params.get("Parameters", {}).get("optionalConfigurationLocation", ())),
        )
        for call in calls
    ]


@pytest.mark.parametrize(
    ("stored", "observed", "expected"),
    [
        # A new parameter is version 1; the association is created to apply it.
        (None, None, [("put_parameter", ()), ("create_association", (f"{NAME}:1",))]),
        # A changed configuration: overwritten (one new version), then applied once.
        (
            StoredConfig(NAME, "{}", 3),
            _configure(3),
            [("put_parameter", ()), ("update_association", (f"{NAME}:4",))],
        ),
        # Unchanged: no put; the association made to apply the stored version.
        (
            StoredConfig(NAME, CONFIG.canonical_json, 3),
            _configure(2),
            [("update_association", (f"{NAME}:3",))],
        ),
        (StoredConfig(NAME, CONFIG.canonical_json, 3), _configure(3), []),
    ],
)
def test_the_configure_association_names_the_version_the_put_makes(
    stored: StoredConfig | None, observed: AgentAssociation | None, expected: list[Any]
) -> None:
    calls = delivery_calls(_region(stored, observed), Platform.LINUX)
    assert _locations(calls) == expected
    assert all(call.once for call in calls)


def test_the_install_association_comes_first_and_every_result_carries_the_same_calls() -> None:
    region = _region(None, None, installed=False)
    config = config_delta(region, Platform.LINUX)
    assert [call.operation for call in config.calls] == [
        "create_association",
        "put_parameter",
        "create_association",
    ]
    delivery = Delivery(
        region.delivery_problem(Platform.LINUX), None, Run("install", {}), Run("configure", {})
    )
    installed = installed_delta(region, {Platform.LINUX: delivery}, region.instances[0])
    assert installed.calls == config.calls
    assert not installed.waits


def test_an_instance_waits_on_state_manager_or_a_spec_for_its_platform() -> None:
    region = _region(StoredConfig(NAME, CONFIG.canonical_json, 1), _configure(1))
    assert not config_delta(region, Platform.LINUX).wrong
    delivery = _delivery({"i-1": "Pending"}, {})
    waiting = installed_delta(region, {Platform.LINUX: delivery}, region.instances[0])
    assert waiting.waits
    assert waiting.wrong
    windows = installed_delta(region, {}, AgentInstance("i-2", Platform.WINDOWS))
    assert windows.waits
    assert list(windows.problems.values()) == [
        "the instance runs Windows, and the spec's presets render nothing for it"
    ]
