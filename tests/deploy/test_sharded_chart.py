"""The chart's sharded variant (sharding.enabled) and the kustomize component that matches it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gdpr_operator.handlers._wake_key import WAKE_KEY_SECRET

from fixtures.deploy import find, kustomize
from fixtures.helm import CHART, Helm, Object, by_key, sets, without_release_labels

KUSTOMIZATIONS = Path(__file__).parent / "kustomize"
SHARDED = tuple(sets("sharding.enabled=true", "replicas=3"))


def _pod(objects: list[Object]) -> dict[str, Any]:
    spec: dict[str, Any] = find(objects, "Deployment", "gdpr-operator")["spec"]["template"]["spec"]
    return spec


def test_the_sharded_component_is_what_the_chart_renders_sharded(
    helm: Helm, kubectl_binary: Path
) -> None:
    rendered = by_key([without_release_labels(o) for o in helm.objects(*SHARDED)])
    built = by_key(kustomize(kubectl_binary, KUSTOMIZATIONS / "sharded"))
    del built["Namespace", "", "gdpr-system"]
    assert rendered == built


def test_sharded_replicas_act_each_on_its_share_with_a_budget_and_spread(helm: Helm) -> None:
    objects = helm.objects(*SHARDED, *sets("sharding.leaseDurationSeconds=20"))
    deployment = find(objects, "Deployment", "gdpr-operator")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"
    [container] = _pod(objects)["containers"]
    assert container["args"][-2:] == ["--sharded", "--shard-lease-duration=20"]
    assert find(objects, "PodDisruptionBudget", "gdpr-operator")["spec"] == {
        "maxUnavailable": 1,
        "selector": deployment["spec"]["selector"],
    }
    [term] = _pod(objects)["affinity"]["podAntiAffinity"][
        "preferredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert term["podAffinityTerm"]["labelSelector"] == deployment["spec"]["selector"]
    # Its own Leases: created, renewed, listed and deleted by name unknown in advance; the
    # key of the causes a wake carries: created, and read by its name only.
    leases, create_key, get_key = find(objects, "Role", "gdpr-operator-shards")["rules"]
    assert leases == {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "verbs": ["create", "get", "list", "update", "delete"],
    }
    assert create_key == {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]}
    assert get_key == {
        "apiGroups": [""],
        "resources": ["secrets"],
        "resourceNames": [WAKE_KEY_SECRET],
        "verbs": ["get"],
    }
    binding = find(objects, "RoleBinding", "gdpr-operator-shards")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "gdpr-operator", "namespace": "gdpr-system"}
    ]


def test_the_given_affinity_wins_and_the_spread_can_be_turned_off(helm: Helm) -> None:
    mine = helm.objects(*SHARDED, *sets("affinity.nodeAffinity.x=y"))
    assert _pod(mine)["affinity"] == {"nodeAffinity": {"x": "y"}}
    unspread = helm.objects(*SHARDED, *sets("sharding.spreadAcrossNodes=false"))
    assert "affinity" not in _pod(unspread)


def test_without_sharding_nothing_of_it_is_rendered(helm: Helm) -> None:
    objects = helm.objects()
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    assert ("PodDisruptionBudget", "gdpr-operator") not in kinds
    assert ("Role", "gdpr-operator-shards") not in kinds
    deployment = find(objects, "Deployment", "gdpr-operator")
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # one leader at a time
    assert "--sharded" not in _pod(objects)["containers"][0]["args"]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("sharding.leaseDurationSeconds=2", "leaseDurationSeconds"),
        ("sharding.maxUnavailable=0", "maxUnavailable"),
        ("sharding.shards=3", "shards"),
    ],
)
def test_bad_sharding_values_fail_naming_them(helm: Helm, value: str, named: str) -> None:
    failed = helm.run("template", "gdpr-operator", str(CHART), *sets(value), check=False)
    assert failed.returncode != 0
    assert named in failed.stderr
