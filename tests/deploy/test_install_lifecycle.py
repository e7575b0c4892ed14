"""Installing, upgrading and removing the operator as a platform engineer would, on a control
plane of this module's own: the chart packaged and pushed to an OCI registry (a local one,
plain HTTP), then `helm install oci://...`, `helm upgrade` (changed values, then a new chart
version and its CRDs) and `helm uninstall`, then a kustomize overlay that moves the operator
to another namespace. In both namespaces the operator runs under the token of the
ServiceAccount that the install created, and converges an estate reached with an ExternalId
from a Secret in that namespace.

The tests run in file order: each picks up the cluster the previous one left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from gdpr_operator.aws import AccountAccess, Aws, Target
from gdpr_operator.sandbox import SandboxControl

from fixtures.calls import writes
from fixtures.cluster import (
    Kubectl,
    cluster_environment,
    running_cluster,
    wait_ready,
)
from fixtures.deploy import install_third_party_crds
from fixtures.estate import apply_guarded_estate
from fixtures.helm import CHART, Helm, sets
from fixtures.operator import OperatorProcess, operator_process, running_operator
from fixtures.registry import running_registry

pytestmark = pytest.mark.e2e

KUSTOMIZATIONS = Path(__file__).parent / "kustomize"
CHART_VERSION: str = yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]
RELEASE, RELEASE_NAMESPACE = "gdpr-operator", "compliance-helm"
OVERLAY_NAMESPACE = "compliance"  # tests/deploy/kustomize/other-namespace
TOGGLES = (
    "serviceMonitor.enabled=true",
    "prometheusRule.enabled=true",
    "grafanaDashboard.enabled=true",
    "argocdHealth.enabled=true",
)
CRDS = ("awsaccounts.monitoring.gdpr.io", "gdprmonitorings.monitoring.gdpr.io")
ROLE = "arn:aws:iam::111111111111:role/gdpr-operator"
REGION = "eu-west-1"  # what apply_estate declares

# What the release owns, by kind and name, and where.
RELEASED = [
    ("deployment", "gdpr-operator", RELEASE_NAMESPACE),
    ("serviceaccount", "gdpr-operator", RELEASE_NAMESPACE),
    ("service", "gdpr-operator-metrics", RELEASE_NAMESPACE),
    ("role", "gdpr-operator-secrets", RELEASE_NAMESPACE),
    ("rolebinding", "gdpr-operator-secrets", RELEASE_NAMESPACE),
    ("servicemonitor", "gdpr-operator", RELEASE_NAMESPACE),
    ("prometheusrule", "gdpr-operator", RELEASE_NAMESPACE),
    ("configmap", "gdpr-operator-dashboard", RELEASE_NAMESPACE),
    ("configmap", "gdpr-operator-argocd-health", "argocd"),
    ("clusterrole", "gdpr-operator", None),
    ("clusterrole", "gdpr-operator-edit", None),
    ("clusterrole", "gdpr-operator-view", None),
    ("clusterrolebinding", "gdpr-operator", None),
]


@dataclass
class Cluster:
    admin: Kubectl
    env: dict[str, str]
    helm: Helm
    registry: str
    """host:port of the OCI registry the charts are pushed to."""

    def chart_ref(self) -> str:
        return f"oci://{self.registry}/charts/gdpr-operator"

    def publish(self, chart: Path, directory: Path) -> str:
        """`helm package` and `helm push` (as the README's release steps); the version."""
        version: str = yaml.safe_load((chart / "Chart.yaml").read_text())["version"]
        self.helm.run("package", str(chart), "-d", str(directory))
        archive = directory / f"gdpr-operator-{version}.tgz"
        self.helm.run("push", str(archive), f"oci://{self.registry}/charts", "--plain-http")
        return version

    def helm_from_registry(self, command: str, version: str, *args: str) -> str:
        """`helm COMMAND [RELEASE] oci://.../gdpr-operator --version VERSION ARGS`."""
        release = [] if command == "show crds" else [RELEASE]
        return self.helm.run(
            *command.split(),
            *release,
            self.chart_ref(),
            "--version",
            version,
            "--plain-http",
            *args,
        ).stdout


@dataclass
class Estate:
    namespace: str
    account: AccountAccess


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, helm: Helm, reference: Path
) -> Iterator[Cluster]:
    """A fresh control plane (no CRDs of ours yet) with the prometheus-operator's CRDs and
    Argo CD's namespace and argocd-cm, and an OCI registry."""
    env = cluster_environment(tmp_path_factory.mktemp("install-cluster"))
    with (
        running_registry(tmp_path_factory.mktemp("registry")) as registry,
        running_cluster(env) as admin,
    ):
        install_third_party_crds(admin, reference)
        admin.apply(KUSTOMIZATIONS / "argocd-install" / "argocd-cm.yaml")
        yield Cluster(admin, env, helm.against(admin.kubeconfig), registry)


@pytest.fixture(scope="module")
def release(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The chart published, then `helm install oci://...` into a namespace it creates; the
    release notes it prints."""
    assert cluster.publish(CHART, tmp_path_factory.mktemp("packages")) == CHART_VERSION
    return cluster.helm_from_registry(
        "install", CHART_VERSION, "-n", RELEASE_NAMESPACE, "--create-namespace", *sets(*TOGGLES)
    )


@pytest.fixture(scope="module")
def released_operator(
    cluster: Cluster, release: str, sandbox_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    """The operator as the release's Deployment runs it: its ServiceAccount's token, its
    namespace (stopped by the uninstall test, as the Deployment's pod would be)."""
    process = operator_process(
        cluster.admin,
        cluster.env,
        sandbox_url,
        tmp_path_factory.mktemp("released-operator"),
        namespace=RELEASE_NAMESPACE,
    )
    with running_operator(process) as running:
        yield running


@pytest.fixture(scope="module")
def released_estate(cluster: Cluster, released_operator: OperatorProcess) -> Estate:
    guarded = apply_guarded_estate(
        cluster.admin, RELEASE_NAMESPACE, managementPolicy="Enforce", deletionPolicy="Delete"
    )
    return Estate(guarded.namespace, guarded.account)


def _release(cluster: Cluster) -> dict[str, Any]:
    """The release as `helm list` shows it: status, revision, chart (name-version)."""
    listed = cluster.helm.run("list", "-n", RELEASE_NAMESPACE, "-o", "json").stdout
    releases: list[dict[str, Any]] = json.loads(listed)
    [release] = [r for r in releases if r["name"] == RELEASE]
    return release


def _uid(admin: Kubectl, kind: str, name: str, namespace: str | None) -> str:
    uid: str = admin.get(kind, name, namespace)["metadata"]["uid"]
    return uid


def test_install_creates_the_crds_and_every_object(cluster: Cluster, release: str) -> None:
    listed = _release(cluster)
    assert (listed["status"], listed["revision"]) == ("deployed", "1")
    for crd in CRDS:
        cluster.admin.run("wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd}")
    for kind, name, namespace in RELEASED:
        assert cluster.admin.exists(kind, name, namespace), (kind, name, namespace)
    assert f"runs in namespace {RELEASE_NAMESPACE}" in release


def _command_after(notes: str, heading: str) -> str:
    """The shell command the release notes print under the line starting with `heading`."""
    lines = notes.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def test_the_notes_merge_the_argocd_health_checks_into_argocd_cm(
    cluster: Cluster, release: str
) -> None:
    """The command the release notes print, run as printed: argocd-cm gains the chart's
    health checks and keeps Argo CD's own settings."""
    command = _command_after(release, "Argo CD health checks:")
    path = f"{cluster.admin.binary.parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "KUBECONFIG": str(cluster.admin.kubeconfig)}
    subprocess.run(["bash", "-euc", command], env=env, check=True, timeout=60)
    data = cluster.admin.get("configmap", "argocd-cm", "argocd")["data"]
    shipped = cluster.admin.get("configmap", "gdpr-operator-argocd-health", "argocd")["data"]
    assert shipped
    assert {k: data.get(k) for k in shipped} == shipped
    assert data["timeout.reconciliation"] == "180s"


def test_the_released_operator_converges_an_estate(
    cluster: Cluster, released_estate: Estate
) -> None:
    """Its RBAC works in the release's namespace: the Secret read there, the Lease held
    there, GdprMonitorings watched and their status written cluster-wide."""
    wait_ready(cluster.admin, released_estate.namespace, "True")
    lease = cluster.admin.get("lease", "gdpr-operator", RELEASE_NAMESPACE)
    assert lease["spec"]["holderIdentity"]


def test_upgrade_with_changed_values_updates_in_place(
    cluster: Cluster, released_estate: Estate
) -> None:
    account_uid = _uid(cluster.admin, "serviceaccount", "gdpr-operator", RELEASE_NAMESPACE)
    cluster.helm_from_registry(
        "upgrade",
        CHART_VERSION,
        "-n",
        RELEASE_NAMESPACE,
        *sets(
            *TOGGLES,
            "replicas=2",
            "logFormat=text",
            f"aws.irsa.roleArn={ROLE}",
            "serviceMonitor.labels.release=kube-prometheus-stack",
        ),
    )
    assert _release(cluster)["revision"] == "2"
    deployment = cluster.admin.get("deployment", "gdpr-operator", RELEASE_NAMESPACE)
    assert deployment["spec"]["replicas"] == 2
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["GDPR_LOG_FORMAT"] == "text"
    account = cluster.admin.get("serviceaccount", "gdpr-operator", RELEASE_NAMESPACE)
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == ROLE
    assert account["metadata"]["uid"] == account_uid, "upgraded in place, not recreated"
    monitor = cluster.admin.get("servicemonitor", "gdpr-operator", RELEASE_NAMESPACE)
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    # The running operator's token (bound to that ServiceAccount) still works.
    cluster.admin.run(
        "patch",
        "gdprmonitoring",
        "web",
        "-n",
        released_estate.namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"resyncInterval": "10m"}}),
    )
    wait_ready(cluster.admin, released_estate.namespace, "True", generation=2)


def _bumped_chart(tmp_path: Path) -> Path:
    """A copy of the chart at the next patch version, whose GdprMonitoring CRD has one more
    printer column: a release whose CRDs changed."""
    chart = tmp_path / "gdpr-operator"
    shutil.copytree(CHART, chart)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    major, minor, patch = meta["version"].split(".")
    meta["version"] = f"{major}.{minor}.{int(patch) + 1}"
    (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    crd_path = chart / "crds" / f"{CRDS[1]}.yaml"
    crd = yaml.safe_load(crd_path.read_text())
    for version in crd["spec"]["versions"]:
        version.setdefault("additionalPrinterColumns", []).append(
            {"name": "Generation", "type": "integer", "jsonPath": ".metadata.generation"}
        )
    crd_path.write_text(yaml.safe_dump(crd))
    return chart


def _printer_columns(admin: Kubectl) -> list[str]:
    crd = admin.get("crd", CRDS[1])
    return [
        c["name"] for v in crd["spec"]["versions"] for c in v.get("additionalPrinterColumns", [])
    ]


def test_upgrade_to_a_new_chart_version_and_its_crds(
    cluster: Cluster, released_estate: Estate, tmp_path: Path
) -> None:
    """The README's upgrade: the new version published; its CRDs applied first (Helm never
    upgrades crds/), then `helm upgrade --reuse-values`."""
    version = cluster.publish(_bumped_chart(tmp_path), tmp_path)
    deployment_uid = _uid(cluster.admin, "deployment", "gdpr-operator", RELEASE_NAMESPACE)
    assert "Generation" not in _printer_columns(cluster.admin)

    crds = cluster.helm_from_registry("show crds", version)
    cluster.admin.run("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=crds)
    cluster.helm_from_registry("upgrade", version, "-n", RELEASE_NAMESPACE, "--reuse-values")

    listed = _release(cluster)
    assert (listed["revision"], listed["chart"]) == ("3", f"gdpr-operator-{version}")
    assert "Generation" in _printer_columns(cluster.admin)
    for kind, name, namespace in RELEASED:
        labels = cluster.admin.get(kind, name, namespace)["metadata"]["labels"]
        assert labels["helm.sh/chart"] == f"gdpr-operator-{version}", (kind, name)
    assert _uid(cluster.admin, "deployment", "gdpr-operator", RELEASE_NAMESPACE) == deployment_uid
    deployment = cluster.admin.get("deployment", "gdpr-operator", RELEASE_NAMESPACE)
    assert deployment["spec"]["replicas"] == 2, "--reuse-values kept the earlier upgrade's"
    wait_ready(cluster.admin, released_estate.namespace, "True", generation=2)


async def test_uninstall_leaves_the_crds_their_objects_and_aws_alone(
    cluster: Cluster,
    released_estate: Estate,
    released_operator: OperatorProcess,
    sandbox: SandboxControl,
    layer: Aws,
) -> None:
    """Even with deletionPolicy Delete: uninstalling removes the operator, not the CRDs (so
    not the GdprMonitorings), and makes no call in AWS; what it built there stays."""
    account = released_estate.account
    before = writes(sandbox, account)
    cluster.helm.run("uninstall", RELEASE, "-n", RELEASE_NAMESPACE)
    released_operator.stop()  # the Deployment is gone: so is its pod

    for kind, name, namespace in RELEASED:
        assert not cluster.admin.exists(kind, name, namespace), (kind, name, namespace)
    for crd in CRDS:
        assert cluster.admin.exists("crd", crd)
    monitoring = cluster.admin.get("gdprmonitoring", "web", released_estate.namespace)
    assert "deletionTimestamp" not in monitoring["metadata"]
    assert cluster.admin.exists("awsaccount", released_estate.namespace)
    assert cluster.admin.exists(
        "secret", f"external-id-{released_estate.namespace}", RELEASE_NAMESPACE
    )
    assert writes(sandbox, account) == before
    detectors = await layer.call(Target(account, REGION), "guardduty", "list_detectors")
    [detector] = detectors["DetectorIds"]
    state = await layer.call(
        Target(account, REGION), "guardduty", "get_detector", DetectorId=detector
    )
    assert state["Status"] == "ENABLED"


def test_a_kustomize_overlay_moves_the_operator_to_another_namespace(
    cluster: Cluster, sandbox_url: str, tmp_path: Path
) -> None:
    """An overlay that sets only `namespace:`: the RBAC subjects follow, and the operator
    runs under that namespace's ServiceAccount (with the CRDs the uninstall left)."""
    overlay = KUSTOMIZATIONS / "other-namespace"
    cluster.admin.run("apply", "-k", str(overlay))
    for kind, name in (
        ("clusterrolebinding", "gdpr-operator"),
        ("rolebinding", "gdpr-operator-secrets"),
    ):
        namespace = OVERLAY_NAMESPACE if kind == "rolebinding" else None
        [subject] = cluster.admin.get(kind, name, namespace)["subjects"]
        assert subject["namespace"] == OVERLAY_NAMESPACE, kind
    process = operator_process(
        cluster.admin, cluster.env, sandbox_url, tmp_path, namespace=OVERLAY_NAMESPACE
    )
    with running_operator(process):
        namespace = apply_guarded_estate(
            cluster.admin, OVERLAY_NAMESPACE, managementPolicy="Enforce"
        ).namespace
        wait_ready(cluster.admin, namespace, "True")
        lease = cluster.admin.get("lease", "gdpr-operator", OVERLAY_NAMESPACE)
        assert lease["spec"]["holderIdentity"]
    denied = [
        line
        for line in process.log.read_text().splitlines()
        if "forbidden" in line.lower() and OVERLAY_NAMESPACE in line
    ]
    assert not denied, denied
