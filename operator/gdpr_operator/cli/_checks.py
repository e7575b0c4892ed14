"""`gdpr-operator checks`: the check catalog, as every reconciler declares it: each check's id,
its component, what it verifies, the GDPR articles it serves, what one result is about and
the IAM actions it may call."""

from __future__ import annotations

import json

from gdpr_operator.cli._table import aligned
from gdpr_operator.model import CheckInfo
from gdpr_operator.reconcilers import RECONCILERS


def article_labels(check: CheckInfo) -> list[str]:
    return [f"Art. {article}" for article in check.articles]


def render_catalog(output: str) -> str:
    """The catalog as a table or as one JSON document (`output` "json")."""
    catalog = [
        (reconciler.component, check) for reconciler in RECONCILERS for check in reconciler.checks
    ]
    if output == "json":
        entries = [
            {
                "id": check.id,
                "component": component,
                "summary": check.summary,
                "articles": article_labels(check),
                "scope": check.scope.value,
                "iamActions": sorted(check.iam_actions),
            }
            for component, check in catalog
        ]
        return json.dumps({"checks": entries}, indent=2) + "\n"
    header = ("CHECK", "COMPONENT", "SCOPE", "GDPR", "IAM ACTIONS")
    rows = [
        (
            check.id,
            component,
            check.scope.value,
            ", ".join(article_labels(check)),
            ", ".join(sorted(check.iam_actions)),
        )
        for component, check in catalog
    ]
    return "\n".join(aligned(header, rows)) + "\n"
