"""deploy/chart: lint, values, the one source of deploy/base and the components, and its
rendering checked by a real API server (server-side dry-run)."""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.cluster import Kubectl, new_namespace
from fixtures.deploy import REPO, find, install_third_party_crds, kustomize
from fixtures.helm import CHART, Helm, Object, by_key, sets, without_release_labels

KUSTOMIZATIONS = Path(__file__).parent / "kustomize"
MONITORING = tuple(sets("serviceMonitor.enabled=true", "prometheusRule.enabled=true"))
EVERYTHING = (
    *MONITORING,
    *sets("grafanaDashboard.enabled=true", "argocdHealth.enabled=true"),
)
ROLE = "arn:aws:iam::111111111111:role/gdpr-operator"


def _container(objects: list[Object]) -> dict[str, Any]:
    [container] = find(objects, "Deployment", "gdpr-operator")["spec"]["template"]["spec"][
        "containers"
    ]
    return container


def _env(objects: list[Object]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in _container(objects)["env"]}


def test_chart_lints_strictly_with_every_toggle(helm: Helm) -> None:
    for args in ((), EVERYTHING):
        linted = helm.run("lint", "--strict", str(CHART), *args)
        assert "0 chart(s) failed" in linted.stdout, linted.stdout


def test_generated_manifests_are_what_the_chart_renders() -> None:
    """deploy/base, the servicemonitor and prometheusrule components and the chart's copies
    (files/) are what scripts/generate-manifests writes from their sources."""
    checked = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate-manifests"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert checked.returncode == 0, (
        f"stale: run scripts/generate-manifests (edit deploy/chart/templates, not the generated "
        f"files):\n{checked.stdout}{checked.stderr}"
    )


def test_chart_crds_are_the_crds(helm: Helm, tmp_path: Path) -> None:
    """The chart's crds/ is the repository's (a symbolic link), and the packaged chart holds
    the same bytes."""
    assert (CHART / "crds").resolve() == (REPO / "crds").resolve()
    helm.run("package", str(CHART), "-d", str(tmp_path))
    [archive] = tmp_path.glob("gdpr-operator-*.tgz")
    with tarfile.open(archive) as tar:
        packaged = {
            Path(member.name).name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.name.startswith("gdpr-operator/crds/")
        }
    assert packaged == {crd.name: crd.read_bytes() for crd in (REPO / "crds").glob("*.yaml")}


@pytest.mark.parametrize(
    ("chart_args", "kustomization"),
    [((), REPO / "deploy" / "base"), (MONITORING, KUSTOMIZATIONS / "with-monitoring")],
    ids=["base", "with-monitoring"],
)
def test_chart_and_kustomize_describe_the_same_objects(
    helm: Helm, kubectl_binary: Path, chart_args: tuple[str, ...], kustomization: Path
) -> None:
    """Object by object, field by field: the chart's rendering less the two labels of a Helm
    release, and the kustomization less its Namespace (Helm creates namespaces itself)."""
    chart = {k: without_release_labels(o) for k, o in by_key(helm.objects(*chart_args)).items()}
    built = by_key(kustomize(kubectl_binary, kustomization))
    namespace = built.pop(("Namespace", "", "gdpr-system"))
    assert namespace["metadata"]["labels"]["app.kubernetes.io/name"] == "gdpr-operator"
    assert sorted(chart) == sorted(built)
    for key, obj in chart.items():
        assert obj == built[key], _diff(f"chart {key}", obj, f"kustomize {key}", built[key])


def _diff(name: str, obj: Object, other_name: str, other: Object) -> str:
    def lines(o: Object) -> list[str]:
        return yaml.safe_dump(o, sort_keys=True).splitlines()

    return "\n".join(difflib.unified_diff(lines(obj), lines(other), name, other_name, lineterm=""))


def test_image_tag_defaults_to_the_app_version_and_a_digest_pins_it(helm: Helm) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    repository = "ghcr.io/gdpr-operator/gdpr-operator"
    assert _container(helm.objects())["image"] == f"{repository}:{chart['appVersion']}"
    digest = "sha256:" + "ab" * 32
    pinned = helm.objects(*sets("image.tag=1.2.3", f"image.digest={digest}"))
    assert _container(pinned)["image"] == f"{repository}:1.2.3@{digest}"
    mirrored = helm.objects(*sets("image.repository=registry.example/gdpr"))
    assert _container(mirrored)["image"].startswith("registry.example/gdpr:")


def test_values_reach_the_deployment(helm: Helm) -> None:
    objects = helm.objects(
        *sets(
            "replicas=2",
            "logFormat=text",
            "aws.region=eu-west-1",
            "resources.limits.memory=512Mi",
            "extraArgs={--aws-read-timeout=30}",
            "eventsHub=security/eu-west-1",
        ),
    )
    deployment = find(objects, "Deployment", "gdpr-operator")
    assert deployment["spec"]["replicas"] == 2
    env = _env(objects)
    assert env["GDPR_LOG_FORMAT"] == "text"
    assert env["AWS_REGION"] == "eu-west-1"
    container = _container(objects)
    assert container["resources"]["limits"]["memory"] == "512Mi"
    assert container["args"][-2:] == ["--events-hub=security/eu-west-1", "--aws-read-timeout=30"]
    assert not [arg for arg in _container(helm.objects())["args"] if "events-hub" in arg]


def test_irsa_annotates_the_service_account(helm: Helm) -> None:
    objects = helm.objects(*sets(f"aws.irsa.roleArn={ROLE}"))
    annotations = find(objects, "ServiceAccount", "gdpr-operator")["metadata"]["annotations"]
    assert annotations == {"eks.amazonaws.com/role-arn": ROLE}
    assert "AWS_ROLE_ARN" not in _env(objects), "EKS injects it"


def test_web_identity_projects_a_token_for_sts(helm: Helm) -> None:
    objects = helm.objects(*sets(f"aws.webIdentity.roleArn={ROLE}"))
    env = _env(objects)
    assert env["AWS_ROLE_ARN"] == ROLE
    pod = find(objects, "Deployment", "gdpr-operator")["spec"]["template"]["spec"]
    [mount] = [m for m in _container(objects)["volumeMounts"] if m["name"] == "aws-token"]
    assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == f"{mount['mountPath']}/token"
    [volume] = [v for v in pod["volumes"] if v["name"] == "aws-token"]
    [source] = volume["projected"]["sources"]
    assert source["serviceAccountToken"]["audience"] == "sts.amazonaws.com"
    assert source["serviceAccountToken"]["path"] == "token"
    assert "annotations" not in find(objects, "ServiceAccount", "gdpr-operator")["metadata"]


def test_pod_identity_changes_no_object_and_prints_the_association(helm: Helm) -> None:
    assert helm.objects(*sets(f"aws.podIdentity.roleArn={ROLE}")) == helm.objects()
    notes = helm.run(
        "install",
        "gdpr-operator",
        str(CHART),
        "-n",
        "gdpr-system",
        "--dry-run=client",
        *sets(f"aws.podIdentity.roleArn={ROLE}"),
    ).stdout
    assert "aws eks create-pod-identity-association" in notes
    assert "--namespace gdpr-system --service-account gdpr-operator" in notes
    assert f"--role-arn {ROLE}" in notes


def test_namespace_value_moves_every_object_and_the_rbac_subjects(helm: Helm) -> None:
    objects = helm.objects(*sets("namespace=compliance"), *EVERYTHING)
    for obj in objects:
        if obj["kind"] in ("ClusterRole", "ClusterRoleBinding"):
            continue
        expected = "argocd" if obj["metadata"]["name"] == "gdpr-operator-argocd-health" else None
        assert obj["metadata"]["namespace"] == (expected or "compliance"), obj["metadata"]
    for kind, name in (
        ("ClusterRoleBinding", "gdpr-operator"),
        ("RoleBinding", "gdpr-operator-secrets"),
    ):
        [subject] = find(objects, kind, name)["subjects"]
        assert subject == {
            "kind": "ServiceAccount",
            "name": "gdpr-operator",
            "namespace": "compliance",
        }


def test_selector_labels_for_kube_prometheus_stack(helm: Helm) -> None:
    objects = helm.objects(
        *MONITORING,
        *sets(
            "serviceMonitor.labels.release=kube-prometheus-stack",
            "prometheusRule.labels.release=kube-prometheus-stack",
            "commonLabels.team=security",
        ),
    )
    for kind in ("ServiceMonitor", "PrometheusRule"):
        labels = find(objects, kind, "gdpr-operator")["metadata"]["labels"]
        assert labels["release"] == "kube-prometheus-stack"
    assert all(obj["metadata"]["labels"]["team"] == "security" for obj in objects)
    assert "release" not in find(objects, "Service", "gdpr-operator-metrics")["metadata"]["labels"]


def test_grafana_dashboard_configmap_follows_the_sidecar_convention(helm: Helm) -> None:
    objects = helm.objects(
        *sets(
            "grafanaDashboard.enabled=true",
            "grafanaDashboard.namespace=monitoring",
            "grafanaDashboard.annotations.grafana_folder=GDPR",
        ),
    )
    configmap = find(objects, "ConfigMap", "gdpr-operator-dashboard")
    assert configmap["metadata"]["namespace"] == "monitoring"
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["annotations"] == {"grafana_folder": "GDPR"}
    dashboard = json.loads((REPO / "dashboards" / "gdpr-operator.json").read_text())
    assert json.loads(configmap["data"]["gdpr-operator.json"]) == dashboard


def test_argocd_health_configmap_holds_what_the_component_merges(
    helm: Helm, kubectl_binary: Path
) -> None:
    objects = helm.objects(*sets("argocdHealth.enabled=true"))
    configmap = find(objects, "ConfigMap", "gdpr-operator-argocd-health")
    assert configmap["metadata"]["namespace"] == "argocd"
    merged = find(
        kustomize(kubectl_binary, KUSTOMIZATIONS / "argocd-install"), "ConfigMap", "argocd-cm"
    )
    health = {k: v for k, v in merged["data"].items() if k.startswith("resource.customizations.")}
    assert health, "the component merges no health check"
    assert configmap["data"] == health


def test_toggles_are_off_by_default(helm: Helm) -> None:
    kinds = {obj["kind"] for obj in helm.objects()}
    core = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
    assert kinds == core | {"Deployment", "Service"}
    without_tenant_roles = helm.objects(*sets("tenantRoles.enabled=false"))
    names = {obj["metadata"]["name"] for obj in without_tenant_roles}
    assert not {"gdpr-operator-edit", "gdpr-operator-view"} & names


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("logFormat=xml", "at '/logFormat': value must be one of 'json', 'text'"),
        ("serviceMonitr.enabled=true", "additional properties 'serviceMonitr' not allowed"),
        ("replicas=two", "at '/replicas'"),
        ("image.digest=latest", "at '/image/digest'"),
        ("aws.irsa.roleArn=gdpr-operator", "at '/aws/irsa/roleArn'"),
        ("aws.region=Ireland", "at '/aws/region'"),
        ("eventsHub=security", "at '/eventsHub'"),
    ],
)
def test_a_bad_value_is_refused_naming_it(helm: Helm, value: str, message: str) -> None:
    result = helm.run("template", "gdpr-operator", str(CHART), "--set", value, check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert result.stdout == ""


def test_two_aws_identities_are_refused(helm: Helm) -> None:
    result = helm.run(
        "template",
        "gdpr-operator",
        str(CHART),
        *sets(f"aws.irsa.roleArn={ROLE}", f"aws.webIdentity.roleArn={ROLE}"),
        check=False,
    )
    assert result.returncode != 0
    assert "set the roleArn of only one of irsa, podIdentity and webIdentity" in result.stderr
    assert "(set: irsa, webIdentity)" in result.stderr


def test_every_rendering_passes_server_side_dry_run(
    helm: Helm, installed: Kubectl, reference: Path
) -> None:
    """Each object of the chart, every toggle on, in another namespace and with web
    identity, is accepted by the API server (strict field validation: an unknown or
    misplaced field fails) with the CRDs it needs installed; nothing is created."""
    install_third_party_crds(installed, reference)
    namespace = new_namespace(installed)
    rendered = helm.template(
        *EVERYTHING,
        *sets(
            f"namespace={namespace}",
            f"aws.webIdentity.roleArn={ROLE}",
            "grafanaDashboard.annotations.grafana_folder=GDPR",
        ),
    )
    applied = installed.run(
        "apply", "--dry-run=server", "--validate=strict", "-f", "-", stdin=rendered
    ).stdout
    kinds = {obj["kind"] for obj in yaml.safe_load_all(rendered) if obj}
    assert len(applied.splitlines()) == len([o for o in yaml.safe_load_all(rendered) if o])
    assert {"ServiceMonitor", "PrometheusRule", "ConfigMap", "Deployment"} <= kinds
    assert "(server dry run)" in applied
    assert not installed.exists("deployment", "gdpr-operator", namespace)


def test_package_is_the_chart(helm: Helm, tmp_path: Path) -> None:
    """`helm package` makes the artifact `helm push` publishes: the CRDs, files, schema and
    templates, rendering what the chart folder renders."""
    packaged = helm.run("package", str(CHART), "-d", str(tmp_path)).stdout
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    archive = tmp_path / f"gdpr-operator-{chart['version']}.tgz"
    assert str(archive) in packaged
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    for path in (
        "Chart.yaml",
        "values.yaml",
        "values.schema.json",
        "crds/gdprmonitorings.monitoring.gdpr.io.yaml",
        "crds/awsaccounts.monitoring.gdpr.io.yaml",
        "files/rules.yaml",
        "templates/deployment.yaml",
    ):
        assert f"gdpr-operator/{path}" in names
    assert helm.template(*EVERYTHING, chart=archive) == helm.template(*EVERYTHING)
    assert (
        helm.run("show", "crds", str(archive)).stdout.count("kind: CustomResourceDefinition") == 2
    )
