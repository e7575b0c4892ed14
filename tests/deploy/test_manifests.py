"""deploy/: the base, its components and the Argo CD example apply to a real API server
(with the prometheus-operator and Argo CD CRDs from tests/reference installed first), and
the Deployment is locked down as the design requires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.cluster import Kubectl
from fixtures.deploy import REPO, find, install_third_party_crds, kustomize
from fixtures.helm import Helm, by_key, without_release_labels

DEPLOY = REPO / "deploy"
KUSTOMIZATIONS = Path(__file__).parent / "kustomize"
CANONICAL_REPOSITORY = "https://github.com/gdpr-operator/gdpr-operator.git"


@pytest.fixture(scope="module")
def cluster(installed: Kubectl, reference: Path) -> Kubectl:
    """The session's cluster with deploy/base applied (by `installed`) and the third-party
    CRDs that the components and the Argo CD example need."""
    install_third_party_crds(installed, reference)
    return installed


def test_base_is_applied_and_reapplies_unchanged(cluster: Kubectl) -> None:
    deployment = cluster.get("deployment", "gdpr-operator", "gdpr-system")
    assert deployment["spec"]["replicas"] == 1
    assert cluster.exists("service", "gdpr-operator-metrics", "gdpr-system")
    again = cluster.run("apply", "-k", str(DEPLOY / "base")).stdout
    assert "configured" not in again, again
    assert "created" not in again, again


def test_monitoring_components_apply(cluster: Kubectl) -> None:
    """deploy/base with the servicemonitor and prometheusrule components; what the API server
    stores is what the files say (nothing pruned as unknown by the CRDs' schemas)."""
    cluster.run("apply", "-k", str(KUSTOMIZATIONS / "with-monitoring"))
    stored_rule = cluster.get("prometheusrule", "gdpr-operator", "gdpr-system")
    rules = yaml.safe_load((DEPLOY / "components/prometheusrule/rules.yaml").read_text())
    assert stored_rule["spec"]["groups"] == rules["groups"]
    stored_monitor = cluster.get("servicemonitor", "gdpr-operator", "gdpr-system")
    monitor = yaml.safe_load((DEPLOY / "components/servicemonitor/servicemonitor.yaml").read_text())
    assert stored_monitor["spec"] == monitor["spec"]


def test_servicemonitor_selects_the_metrics_service(kubectl_binary: Path) -> None:
    objects = kustomize(kubectl_binary, KUSTOMIZATIONS / "with-monitoring")
    service = find(objects, "Service", "gdpr-operator-metrics")
    monitor = find(objects, "ServiceMonitor", "gdpr-operator")
    labels = service["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    assert "metrics" in {port["name"] for port in service["spec"]["ports"]}


def test_argocd_health_component_merges_into_argocd_cm(cluster: Kubectl) -> None:
    cluster.run("apply", "-k", str(KUSTOMIZATIONS / "argocd-install"))
    data = cluster.get("configmap", "argocd-cm", "argocd")["data"]
    for kind, script in (("GdprMonitoring", "health.lua"), ("AwsAccount", "awsaccount-health.lua")):
        health = (DEPLOY / "components/argocd-health" / script).read_text()
        assert data[f"resource.customizations.health.monitoring.gdpr.io_{kind}"] == health
    assert data["timeout.reconciliation"] == "180s", "the merge dropped Argo CD's own settings"


def test_argocd_example_applies_with_crds_in_an_earlier_wave(
    cluster: Kubectl, helm: Helm, kubectl_binary: Path, tmp_path: Path
) -> None:
    cluster.run("apply", "-f", str(DEPLOY / "argocd" / "root.yaml"))
    cluster.run("apply", "-k", str(DEPLOY / "argocd" / "apps"))
    root = cluster.get("application", "gdpr-operator-root", "argocd")
    crds = cluster.get("application", "gdpr-operator-crds", "argocd")
    operator = cluster.get("application", "gdpr-operator", "argocd")

    def wave(app: dict[str, Any]) -> int:
        return int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])

    assert wave(crds) < wave(operator)
    for app in (root, crds, operator):
        assert app["spec"]["source"]["repoURL"] == CANONICAL_REPOSITORY
    assert root["spec"]["source"]["path"] == "deploy/argocd/apps"
    assert crds["spec"]["source"]["path"] == "crds"
    assert not crds["spec"]["syncPolicy"]["automated"]["prune"], "never prune the CRDs"
    assert "finalizers" not in crds["metadata"], "deleting the Application must keep the CRDs"
    # The operator is the chart without its CRDs (wave -1 owns them), in gdpr-system, whose
    # values render what tests/deploy/kustomize/with-monitoring builds and applies.
    source = operator["spec"]["source"]
    assert source["path"] == "deploy/chart"
    assert source["helm"]["skipCrds"] is True
    assert source["helm"]["releaseName"] == "gdpr-operator"
    assert operator["spec"]["destination"]["namespace"] == "gdpr-system"
    assert "CreateNamespace=true" in operator["spec"]["syncPolicy"]["syncOptions"]
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(source["helm"]["valuesObject"]))
    rendered = by_key([without_release_labels(o) for o in helm.objects("-f", str(values))])
    tested = by_key(kustomize(kubectl_binary, KUSTOMIZATIONS / "with-monitoring"))
    del tested["Namespace", "", "gdpr-system"]
    assert rendered == tested


def test_deployment_is_locked_down(kubectl_binary: Path) -> None:
    objects = kustomize(kubectl_binary, DEPLOY / "base")
    deployment = find(objects, "Deployment", "gdpr-operator")
    spec = deployment["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "gdpr-operator"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [container] = pod["containers"]
    context = container["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert resources["limits"]["memory"] == "256Mi"
    [env] = [e for e in container["env"] if e["name"] == "GDPR_OPERATOR_NAMESPACE"]
    assert env["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["metrics"] == 8080
    probe = container["livenessProbe"]["httpGet"]
    assert probe["path"] == "/healthz"
    assert ports[probe["port"]] == 8081
    service = find(objects, "Service", "gdpr-operator-metrics")
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    assert spec["selector"]["matchLabels"] == service["spec"]["selector"]
