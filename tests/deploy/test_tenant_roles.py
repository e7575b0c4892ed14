"""The tenant roles (deploy/base/tenant-roles.yaml) through Kubernetes' own aggregation: the
local cluster runs the real clusterrole-aggregation controller (kube-controller-manager with
only that controller), which copies their rules into the built-in admin, edit and view roles
because of their labels. A namespace's editors and admins then manage its GdprMonitorings,
its viewers read them, and no tenant creates or changes an AwsAccount."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from fixtures.cluster import Kubectl, new_namespace, wait_for

GROUP = "monitoring.gdpr.io"


def _can(admin: Kubectl, user: str, verb: str, resource: str, namespace: str | None) -> bool:
    where = ["-n", namespace] if namespace else []
    answer = admin.run("auth", "can-i", verb, resource, "--as", user, *where, check=False)
    assert answer.stdout.strip() in ("yes", "no"), answer.stderr
    return answer.stdout.strip() == "yes"


def _bind(admin: Kubectl, user: str, role: str, namespace: str | None) -> None:
    """Bind `user` to built-in ClusterRole `role`: in `namespace`, or cluster-wide."""
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    metadata: dict[str, Any] = {"name": f"{user}-{role}"}
    if namespace:
        metadata["namespace"] = namespace
    admin.apply(
        yaml.safe_dump(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": kind,
                "metadata": metadata,
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": role,
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}
                ],
            }
        )
    )


def _rules_of(admin: Kubectl, role: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = admin.get("clusterrole", role).get("rules") or []
    return rules


def _grants(rules: list[dict[str, Any]], resource: str, verb: str) -> bool:
    return any(
        GROUP in rule.get("apiGroups", [])
        and resource in rule.get("resources", [])
        and verb in rule.get("verbs", [])
        for rule in rules
    )


@pytest.fixture(scope="module")
def tenants(installed: Kubectl) -> dict[str, str]:
    """A team namespace with an admin, an editor and a viewer (RoleBindings to the built-in
    roles), another team's namespace, and a cluster-wide viewer. Returns the namespaces."""
    team, other = new_namespace(installed), new_namespace(installed)
    _bind(installed, "team-admin", "admin", team)
    _bind(installed, "team-editor", "edit", team)
    _bind(installed, "team-viewer", "view", team)
    _bind(installed, "auditor", "view", None)
    return {"team": team, "other": other}


def test_the_controller_aggregates_the_tenant_rules_into_the_built_in_roles(
    installed: Kubectl,
) -> None:
    """Only the aggregation controller writes the built-in roles' rules (they carry an
    aggregationRule): finding ours there is its work, selected by our labels."""
    for role, verb in (("admin", "create"), ("edit", "create"), ("view", "list")):
        assert installed.get("clusterrole", role)["aggregationRule"]
        wait_for(
            f"{role} to aggregate gdprmonitorings {verb}",
            lambda role=role, verb=verb: _grants(
                _rules_of(installed, role), "gdprmonitorings", verb
            ),
            timeout=30,
        )
    view = _rules_of(installed, "view")
    assert _grants(view, "awsaccounts", "get")
    assert not _grants(view, "gdprmonitorings", "create")
    for role in ("admin", "edit", "view"):
        assert not _grants(_rules_of(installed, role), "awsaccounts", "create")


@pytest.mark.parametrize("verb", ["create", "update", "patch", "delete", "get", "list", "watch"])
def test_a_namespace_editor_and_admin_manage_its_monitorings(
    installed: Kubectl, tenants: dict[str, str], verb: str
) -> None:
    for user in ("team-editor", "team-admin"):
        assert _can(installed, user, verb, "gdprmonitorings", tenants["team"]), (user, verb)
        assert not _can(installed, user, verb, "gdprmonitorings", tenants["other"]), (user, verb)


def test_a_namespace_viewer_reads_its_monitorings_only(
    installed: Kubectl, tenants: dict[str, str]
) -> None:
    for verb in ("get", "list", "watch"):
        assert _can(installed, "team-viewer", verb, "gdprmonitorings", tenants["team"])
    for verb in ("create", "update", "patch", "delete"):
        assert not _can(installed, "team-viewer", verb, "gdprmonitorings", tenants["team"])
    assert not _can(installed, "team-viewer", "get", "gdprmonitorings", tenants["other"])


def test_no_tenant_writes_an_aws_account_and_only_a_cluster_wide_viewer_reads_them(
    installed: Kubectl, tenants: dict[str, str]
) -> None:
    """AwsAccounts are cluster-scoped: a RoleBinding cannot grant them, so a namespace's
    roles see none, and a cluster-wide binding of view reads them but cannot write."""
    for user in ("team-admin", "team-editor", "team-viewer", "auditor"):
        for verb in ("create", "update", "patch", "delete"):
            assert not _can(installed, user, verb, "awsaccounts", None), (user, verb)
    for user in ("team-admin", "team-editor", "team-viewer"):
        assert not _can(installed, user, "list", "awsaccounts", None), user
    for verb in ("get", "list", "watch"):
        assert _can(installed, "auditor", verb, "awsaccounts", None)
    assert _can(installed, "auditor", "list", "gdprmonitorings", tenants["other"])
    assert not _can(installed, "auditor", "create", "gdprmonitorings", tenants["other"])


def test_the_api_server_admits_the_editors_monitoring_and_refuses_the_viewers(
    installed: Kubectl, tenants: dict[str, str]
) -> None:
    """Beyond can-i: a create as each user, through authorization and the CRD's schema
    (server-side dry run: nothing is stored for the session's operator to act on)."""
    monitoring = yaml.safe_dump(
        {
            "apiVersion": f"{GROUP}/v1alpha1",
            "kind": "GdprMonitoring",
            "metadata": {"name": "tenant-made", "namespace": tenants["team"]},
            "spec": {"accounts": ["prod"], "regions": ["eu-west-1"]},
        }
    )

    def create(user: str) -> Any:
        return installed.run(
            "create", "--dry-run=server", "--as", user, "-f", "-", stdin=monitoring, check=False
        )

    refused = create("team-viewer")
    assert refused.returncode != 0
    assert 'User "team-viewer" cannot create resource "gdprmonitorings"' in refused.stderr
    admitted = create("team-editor")
    assert admitted.returncode == 0, admitted.stderr
    assert "created (server dry run)" in admitted.stdout
