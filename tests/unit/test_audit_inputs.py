"""The inputs of `audit` and `remediate`: files, directories, standard input and Lists read
into objects, strict as the API server's field validation; every problem one short line
naming file, document and field."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from gdpr_operator.cli._manifests import InputError, load

HEAD = "apiVersion: monitoring.gdpr.io/v1alpha1\nkind: GdprMonitoring\n"
WEB = HEAD + "metadata: {name: web, namespace: security}\n"
SPEC = "spec: {accounts: [prod], regions: [eu-west-1]}\n"


def _refusal(tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / "input.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(InputError) as refused:
        load([str(path)], "gdpr-system")
    message = str(refused.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    assert len(message) < 300, message
    return message.removeprefix(f"{path}: ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"apiVersion: v1\nkind: Secret\nmetadata: {name: \xff\xfe}\n",
            "line 3: not UTF-8 text (byte 0xff at offset 45)",
        ),
        (HEAD + "metadata: [1]\n" + SPEC, "document 1 (GdprMonitoring): metadata: must be of "),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: [a, b]\n",
            "document 1 (Secret s): data: must be of type object, not array",
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {externalId: '%%%'}\n",
            "document 1 (Secret s): data.externalId: not base64",
        ),
        (
            WEB + SPEC.replace("}", ", guardDutty: {}}"),
            "document 1 (GdprMonitoring web): spec.guardDutty: unknown field",
        ),
        (WEB + SPEC + "specs: {}\n", "document 1 (GdprMonitoring web): specs: unknown field"),
        (
            HEAD + "metadata: {name: web, labelz: {}}\n" + SPEC,
            "document 1 (GdprMonitoring web): metadata.labelz: unknown field",
        ),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringdata: {a: b}\n",
            "document 1 (Secret s): stringdata: unknown field",
        ),
        (
            WEB + "spec: {accounts: [prod, prod], regions: [eu-west-1]}\n",
            "document 1 (GdprMonitoring web): spec.accounts: holds the same value twice",
        ),
        (
            WEB
            + "spec:\n  accounts: [prod]\n  regions: [eu-west-1]\n  cloudWatchAgent:\n"
            + "    customLogFiles:\n"
            + "    - {platform: Linux, filePath: /var/log/a, logGroup: a}\n" * 2,
            "spec.cloudWatchAgent.customLogFiles: holds platform=Linux, filePath=/var/log/a twice",
        ),
        (
            WEB + "spec: {accounts: [prod], regions: ['*', eu-west-1]}\n",
            'document 1 (GdprMonitoring web): spec.regions: "*" (every enabled region) cannot '
            "be combined with named regions",
        ),
        (
            WEB + "spec: {accounts: [prod], regions: [eu-west-1], resyncInterval: 0s}\n",
            "document 1 (GdprMonitoring web): spec.resyncInterval: resyncInterval must be between "
            "30s and 24h",
        ),
        (
            WEB
            + "spec: {accounts: [prod], regions: [eu-west-1], logs: {kmsKeyArn: "
            + "'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab'}}\n",
            "document 1 (GdprMonitoring web): spec.logs.kmsKeyArn: logs.kmsKeyArn is a regional "
            "key, so every entry of regions must be the key's region",
        ),
        (
            "apiVersion: monitoring.gdpr.io/v1alpha1\nkind: AwsAccount\nmetadata: {name: prod}\n"
            + "spec: {accountId: '111111111111', allowedNamespaces: [security], assumeRole: "
            + "{roleArn: 'arn:aws:iam::222222222222:role/gdpr-operator'}}\n",
            "document 1 (AwsAccount prod): spec.assumeRole.roleArn: assumeRole.roleArn must be a "
            "role in the account given by accountId",
        ),
        (
            WEB + "spec: {accounts: [prod], regions: [eu-west-1, 7]}\n",
            "document 1 (GdprMonitoring web): spec.regions[1]: must be of type string, not integer",
        ),
        (
            WEB
            + SPEC
            + "---\n"
            + WEB
            + "spec: {accounts: [prod], regions: [eu-west-1], a: 1, a: 2}",
            "document 2: line 9, column 54: duplicate field 'a'",
        ),
        ("a: &a [1, *a]\n", "document 1: line 1, column 4: an alias refers to its own anchor"),
        ("a: " + "9" * 5000 + "\n", "document 1: Exceeds the limit (4300 digits) for integer"),
        ("a: 1\nb: \x00\n", "document 1: line 2: control characters are not allowed (#x0000)"),
        (
            "apiVersion: v1\nkind: ConfigMap\n---\nb: [unclosed\n",
            "document 2: line 5, column 1: while parsing a flow",
        ),
        (
            "apiVersion: monitoring.gdpr.io/v1\nkind: GdprMonitoring\n",
            "document 1: no 'GdprMonitoring' in 'monitoring.gdpr.io/v1': this operator serves",
        ),
        ("apiVersion: v1\nmetadata: {name: c}\n", "document 1: kind: required, a string"),
        ("- a\n- b\n", "document 1: not a Kubernetes object but ['a', 'b']"),
        (
            "apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Secret, metadata: {}}]\n",
            "document 1, item 1 (Secret): metadata.name: required",
        ),
        ("apiVersion: v1\nkind: List\nitems: {}\n", "document 1 (List): items: must be of type"),
    ],
)
def test_broken_input_is_one_line_naming_file_document_and_field(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    assert message in _refusal(tmp_path, content)


def test_an_error_about_a_huge_value_stays_one_short_line(tmp_path: Path) -> None:
    regions = ", ".join(f"r{i}" for i in range(10_000))
    assert _refusal(tmp_path, WEB + f"spec: {{accounts: [prod], regions: [{regions}]}}\n") == (
        "document 1 (GdprMonitoring web): spec.regions: has 10,000 item(s), at most 40 allowed"
    )
    long_name = "x" * 10_000
    message = _refusal(tmp_path, WEB + f"spec: {{accounts: [prod], regions: [{long_name}]}}\n")
    assert message.startswith(
        "document 1 (GdprMonitoring web): spec.regions[0]: is 10,000 characters long, at most"
    )
    multiline = json.dumps("a\n" * 5000)
    message = _refusal(tmp_path, WEB + f"spec: {{accounts: [prod], regions: [{multiline}]}}\n")
    assert "spec.regions[0]:" in message


def test_what_kubectl_get_prints_is_read_lists_and_all(tmp_path: Path) -> None:
    """A List (nested too) of objects as the API server returns them: managed fields,
    status and all."""
    monitoring = yaml.safe_load(WEB + SPEC)
    monitoring["metadata"].update(
        uid="0b7e", resourceVersion="42", generation=1, creationTimestamp="2026-01-01T00:00:00Z"
    )
    monitoring["metadata"]["managedFields"] = [
        {
            "apiVersion": "monitoring.gdpr.io/v1alpha1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {".": {}, "f:accounts": {}}},
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "time": "2026-01-01T00:00:00Z",
        }
    ]
    monitoring["status"] = {"observedGeneration": 1, "conditions": [], "summary": {"checks": 0}}
    listed = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": [monitoring, {"apiVersion": "v1", "kind": "List", "items": [monitoring]}],
    }
    path = tmp_path / "listed.json"
    path.write_text(json.dumps(listed, indent="\t"))
    inputs = load([str(path)], "gdpr-system")
    assert list(inputs.monitorings) == [("security", "web")]
    assert inputs.monitorings["security", "web"].spec.regions == ("eu-west-1",)


def test_a_directory_gives_its_yaml_and_json_files_and_stdin_is_read(tmp_path: Path) -> None:
    directory = tmp_path / "estate"
    (directory / "nested").mkdir(parents=True)
    (directory / "a.yaml").write_text(WEB + SPEC)
    (directory / "b.yml").write_text(WEB.replace("web", "shop") + SPEC)
    (directory / "c.json").write_text(
        json.dumps(yaml.safe_load(WEB + SPEC) | {"metadata": {"name": "api"}})
    )
    (directory / "notes.txt").write_text("not: [yaml")
    (directory / "nested" / "d.yaml").write_text("not: [yaml")
    stdin = io.BytesIO(
        b"apiVersion: v1\nkind: Secret\nmetadata: {name: prod-external-id}\n"
        b"stringData: {externalId: ' from-stdin '}\n"
    )
    inputs = load([str(directory), "-"], "gdpr-system", stdin)
    assert sorted(inputs.monitorings) == [
        ("default", "api"),
        ("security", "shop"),
        ("security", "web"),
    ]
    assert inputs.secrets == {"prod-external-id": {"externalId": b" from-stdin "}}

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"empty: no \.yaml, \.yml, \.json file in the directory"):
        load([str(empty)], "gdpr-system")
    with pytest.raises(InputError, match=r"missing\.yaml: No such file or directory"):
        load([str(tmp_path / "missing.yaml")], "gdpr-system")


def test_the_later_of_two_objects_with_one_name_stands(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(WEB + SPEC + "---\n" + WEB + SPEC.replace("eu-west-1", "eu-north-1"))
    inputs = load([str(path)], "gdpr-system")
    assert [m.spec.regions for m in inputs.monitorings.values()] == [("eu-north-1",)]
