from __future__ import annotations

import json
import logging

from gdpr_operator.cli import _JsonFormatter, _RoutineFilter


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
    assert not routine.filter(_record("aiohttp.access", '127.0.0.1 "GET /healthz HTTP/1.1" 200'))
    assert routine.filter(_record("kopf.objects", "Handler 'reconcile_on_change' failed"))
    assert routine.filter(_record("aiohttp.access", '127.0.0.1 "GET /metrics HTTP/1.1" 200'))
