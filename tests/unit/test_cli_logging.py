from __future__ import annotations

import json
import logging

from gdpr_operator.cli import _configure_logging, _JsonFormatter, _RoutineFilter


def _record(name: str, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)


def test_json_log_lines_parse_and_carry_the_fields() -> None:
    line = _JsonFormatter().format(_record("gdpr_operator.engine", "pass %s done", "web"))
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "gdpr_operator.engine"
    assert entry["message"] == "pass web done"
    assert entry["time"].endswith("Z")


def test_routine_lines_are_dropped_and_others_kept() -> None:
    routine = _RoutineFilter()
    assert not routine.filter(_record("kopf.objects", "Timer 'resync' succeeded."))
    assert not routine.filter(_record("kopf.objects", "Handler 'account_seen' succeeded."))
    assert not routine.filter(_record("aiohttp.access", '127.0.0.1 "GET /healthz HTTP/1.1" 200'))
    assert routine.filter(_record("kopf.objects", "Handler 'reconcile_on_change' failed"))
    assert routine.filter(_record("aiohttp.access", '127.0.0.1 "GET /metrics HTTP/1.1" 200'))


def test_with_v_no_wire_log_is_shown() -> None:
    """botocore, urllib3 and the Kubernetes client log requests and answers whole at debug
    level (ExternalIds, assumed sessions' keys, Secrets): never shown, even with -v."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        _configure_logging(verbose=True, level=logging.INFO, log_format="text")
        for wire in ("botocore.endpoint", "botocore.parsers", "urllib3", "kubernetes.client.rest"):
            assert not logging.getLogger(wire).isEnabledFor(logging.DEBUG), wire
        assert logging.getLogger("botocore.credentials").level in (0, logging.NOTSET)
        assert logging.getLogger("botocore").level == logging.INFO
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
