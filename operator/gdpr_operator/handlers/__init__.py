"""kopf glue: the handlers that call the engine and write status (`_monitorings`,
`_accounts`, `_lifecycle`, `_drift_events`), and the process that runs them (`_run`: the
metrics server, leader election or shard membership, kopf). This module only re-exports
what the CLI starts the operator with, and `shard_owner`: which replica of a sharded
installation owns an object, as every replica computes it (for tests and benchmarks that
predict a replica's objects)."""

from __future__ import annotations

from gdpr_operator.handlers._config import ACCOUNT_CHECK_SECONDS
from gdpr_operator.handlers._rendezvous import owner as shard_owner
from gdpr_operator.handlers._run import FINALIZER, RunOptions, run

__all__ = ["ACCOUNT_CHECK_SECONDS", "FINALIZER", "RunOptions", "run", "shard_owner"]
