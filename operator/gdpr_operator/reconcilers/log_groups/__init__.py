"""CloudWatch Logs groups the agent writes to: checks logs.retention, logs.encryption and
logs.ingestion_fresh."""

from gdpr_operator.reconcilers.log_groups._reconciler import LogGroups

__all__ = ["LogGroups"]
