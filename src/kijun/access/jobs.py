"""Periodic jobs of the access domain: keep the decision-log store bounded."""

from __future__ import annotations

from kijun.core.jobs import Job

from .logstore import max_rows, purge, retention_days


def _purge_decision_logs() -> str:
    return f"purged {purge()} decision-log entries (retention {retention_days()} days, cap {max_rows()} rows)"


JOBS: tuple[Job, ...] = (
    Job("access-log-purge", 60, _purge_decision_logs,
        "Delete shipped PDP decision logs past the retention period or over the row cap"),
)
