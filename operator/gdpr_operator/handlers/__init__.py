"""kopf glue: handlers call the engine and write status; nothing else lives here."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import kopf
from kubernetes import client, config
from prometheus_client import start_http_server

from gdpr_operator.aws import AwsSettings
from gdpr_operator.handlers import _lifecycle, _monitorings  # noqa: F401 - register handlers
from gdpr_operator.handlers._config import OperatorConfig
from gdpr_operator.handlers._secrets import ExternalIdSecrets
from gdpr_operator.model import GROUP

FINALIZER = f"{GROUP}/finalizer"

__all__ = ["FINALIZER", "RunOptions", "run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunOptions:
    operator_namespace: str
    watch_namespaces: tuple[str, ...]
    """Empty: every namespace."""
    metrics_address: str
    metrics_port: int
    liveness_endpoint: str


def _settings() -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = FINALIZER
    # Our own annotation prefix, and nothing of kopf's in status (status is the API).
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=GROUP, key="last-handled-configuration"
    )
    settings.posting.loggers = False  # Events are posted on condition transitions only
    return settings


def run(options: RunOptions) -> None:
    """Run the operator until it is stopped (SIGINT or SIGTERM)."""
    config.load_config()
    start_http_server(options.metrics_port, options.metrics_address)
    logger.info("Serving /metrics on %s:%d", options.metrics_address, options.metrics_port)
    memo = kopf.Memo(config=OperatorConfig(
        namespace=options.operator_namespace,
        read_external_id=ExternalIdSecrets(options.operator_namespace, client.CoreV1Api()),
        aws_settings=AwsSettings(),
    ))
    kopf.run(
        settings=_settings(),
        memo=memo,
        standalone=True,
        clusterwide=not options.watch_namespaces,
        namespaces=options.watch_namespaces,
        liveness_endpoint=options.liveness_endpoint,
    )
