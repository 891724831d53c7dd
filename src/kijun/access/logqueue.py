"""Lazy decision-log events and a deferred sink that serialises them off the request path.

A decision-log record (``decision_log.log_record``) plus its JSON line cost 15-25 µs, several
times the compiled decision itself. The PDP therefore hands a :class:`LogEvent` - references to
the (immutable) request and verdict, the metrics and the path - to a sink that offers
``submit``; :class:`DeferredSink` builds and writes the records on one background thread, in
batches, so a decision only pays for appending a reference to a queue. Records are identical to
the synchronous ones (the PDP's masking travels with the event, same timestamp: the verdict keeps its clock reading).

The queue is bounded: when the writer cannot keep up, events are dropped and counted
(``dropped``, exported as a metric) rather than letting memory grow or blocking decisions.
``flush()`` waits until everything submitted so far is written; ``close()`` flushes, stops the
thread and closes the wrapped sink.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Protocol, cast

from .decision_log import DecisionSink, MaskingRules, log_record
from .model import AccessRequest, Decision
from .verdict import Verdict


class LogEvent:
    """One decision to be logged, kept as references until it is written."""

    __slots__ = ("masking", "metrics", "path", "request", "verdict")

    def __init__(self, request: AccessRequest, verdict: Verdict, metrics: dict[str, float], path: str,
                 masking: MaskingRules) -> None:
        self.request = request
        self.verdict = verdict
        self.metrics = metrics
        self.path = path
        self.masking = masking

    def record(self) -> dict[str, Any]:
        # log_record reads only attributes a Verdict has under the same names (see verdict.py),
        # so the pydantic Decision need not be built.
        return log_record(self.request, cast(Decision, self.verdict), self.masking, metrics=self.metrics,
                          path=self.path)


class EventSink(Protocol):
    def submit(self, event: LogEvent) -> None: ...


class _Closable(Protocol):
    def close(self) -> None: ...


class DeferredSink:
    """Writes submitted events to ``inner`` from a background thread (bounded queue, batches)."""

    def __init__(self, inner: DecisionSink, *, max_pending: int = 100_000, batch: int = 256, interval: float = 0.05) -> None:
        self.inner = inner
        self.max_pending = max_pending
        self.batch = batch
        self.interval = interval
        self.dropped = 0
        self.written = 0
        self.failed = 0
        self.submitted = 0
        self._queue: deque[LogEvent] = deque()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kijun-decision-log", daemon=True)
        self._thread.start()

    def submit(self, event: LogEvent) -> None:
        if self._closed or len(self._queue) >= self.max_pending:
            self.dropped += 1
            return
        self._queue.append(event)
        self.submitted += 1
        if len(self._queue) >= self.batch:
            self._wake.set()

    def write(self, record: dict[str, Any]) -> None:
        """Plain records (already built) go straight through, so this is also a DecisionSink."""
        self.inner.write(record)

    def _drain(self) -> None:
        while self._queue:
            event = self._queue.popleft()
            try:
                self.inner.write(event.record())
                self.written += 1
            except (OSError, ValueError):  # a full disk or closed stream must not kill the writer
                self.failed += 1
        with self._idle:
            self._idle.notify_all()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            self._drain()
        self._drain()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every event submitted before the call is written (False on timeout)."""
        target = self.submitted
        with self._idle:
            self._wake.set()
            return self._idle.wait_for(lambda: self.written + self.failed >= target, timeout)

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=10)
        closer: _Closable | None = self.inner if hasattr(self.inner, "close") else None  # type: ignore[assignment]
        if closer is not None:
            closer.close()


__all__ = ["DeferredSink", "EventSink", "LogEvent"]
