"""Decision log: one JSON line per decision, modelled on OPA's decision-log events.

A record holds what is needed to explain and audit a decision (who/what/posture summary, result,
determining policies, policy revision, request hash) and nothing secret: requests never carry
tokens or cookies, and the HTTP adapters do not copy such headers. With ``mask_principal`` the user
id is replaced by a keyed hash (HMAC-SHA256 with an agency secret), so logs can be kept while the
personal identifier stays pseudonymous and can be erased by discarding the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Protocol

from .model import AccessRequest, Decision


class DecisionSink(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class MaskingRules:
    """How personal data is written. ``principal_key`` set -> principal ids are HMAC-hashed."""

    principal_key: bytes | None = None
    drop_org_unit: bool = False

    def principal(self, principal_id: str) -> str:
        if self.principal_key is None:
            return principal_id
        digest = hmac.new(self.principal_key, principal_id.encode(), hashlib.sha256).hexdigest()
        return "hmac:" + digest[:32]


def log_record(
    request: AccessRequest,
    decision: Decision,
    masking: MaskingRules | None = None,
    metrics: dict[str, float] | None = None,
    path: str = "",
) -> dict[str, Any]:
    """Build the JSON-serialisable log record for one decision."""
    masking = masking or MaskingRules()
    ctx = request.context
    return {
        "decision_id": decision.decision_id,
        "timestamp": decision.evaluated_at,
        "policy_revision": decision.policy_revision,
        "path": path,
        "request_hash": decision.request_hash,
        "input": {
            "principal": masking.principal(request.principal.id),
            "roles": list(request.principal.roles),
            "org_unit": None if masking.drop_org_unit else request.principal.org_unit,
            "action": request.action,
            "resource": {
                "id": request.resource.id,
                "confidentiality": request.resource.confidentiality,
                "integrity": request.resource.integrity,
                "handling": list(request.resource.handling),
            },
            "network": ctx.network,
            "authn": ctx.authn.model_dump(),
            "device": ctx.device.model_dump(),
            "session_id": request.session_id,
        },
        "result": {
            "decision": decision.decision,
            "determining_policies": list(decision.determining_policies),
            "obligations": dict(decision.obligations),
        },
        "metrics": metrics or {},
    }


class JsonLinesSink:
    """Appends records as JSON lines to a text stream (a file opened in append mode, or stdout)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str) -> JsonLinesSink:
        return cls(open(path, "a", encoding="utf-8"))  # noqa: SIM115 - closed by close()

    def close(self) -> None:
        with self._lock:
            self._stream.close()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class MemorySink:
    """Keeps records in a list (tests, the UI preview)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)


MASKED_PREFIX = "hmac:"


def mask_record(record: dict[str, Any], masking: MaskingRules) -> dict[str, Any]:
    """A copy of ``record`` with the masking rules applied (idempotent: hashed ids stay as they are).

    Besides the principal, the session id is hashed too: a PEP may pass a session cookie value.
    """
    inp = dict(record.get("input") or {})
    principal = inp.get("principal")
    if isinstance(principal, str) and not principal.startswith(MASKED_PREFIX):
        inp["principal"] = masking.principal(principal)
    session = inp.get("session_id")
    if isinstance(session, str) and masking.principal_key is not None and not session.startswith(MASKED_PREFIX):
        inp["session_id"] = masking.principal(session)
    if masking.drop_org_unit:
        inp["org_unit"] = None
    return {**record, "input": inp}


class FanoutSink:
    """Writes every record to several sinks (e.g. the local JSON-lines file and the shipper)."""

    def __init__(self, sinks: Sequence[DecisionSink]) -> None:
        self.sinks = tuple(sinks)

    def write(self, record: dict[str, Any]) -> None:
        for sink in self.sinks:
            sink.write(record)


Post = Callable[[bytes], int]


class HttpShipper:
    """Ships decision-log records to the kijun server (``POST /api/v1/access/decision-logs``).

    * never blocks a decision: ``write`` only appends the record to a bounded in-memory queue (a
      deque append, about a microsecond); when the queue is full the record is dropped and counted
      (the local JSON-lines file still has it);
    * a background thread masks the records (``mask_record``: user and session ids hashed, unit
      dropped if configured) and sends batches of up to ``batch_size``, at least every
      ``flush_seconds`` — so nothing unmasked ever leaves the process;
    * 5xx, 408, 429 and network errors are retried with exponential backoff up to ``max_attempts``;
      other 4xx answers are final (the batch is counted as rejected);
    * shipping refuses to start without a principal key.
    """

    def __init__(self, url: str, token: str, masking: MaskingRules, *, batch_size: int = 200,
                 max_pending: int = 10_000, flush_seconds: float = 1.0, max_attempts: int = 5,
                 backoff: float = 0.5, max_backoff: float = 30.0, timeout: float = 5.0,
                 post: Post | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"decision-log URL must be http(s): {url!r}")
        if masking.principal_key is None:
            raise ValueError("decision-log shipping needs a masking key (principal ids are hashed before shipping)")
        self.url, self._token, self._masking = url, token, masking
        self._batch_size, self._flush_seconds, self._max_pending = batch_size, flush_seconds, max_pending
        self._max_attempts, self._backoff, self._max_backoff = max_attempts, backoff, max_backoff
        self._timeout = timeout
        self._post = post or self._http_post
        self.counters: Counter[str] = Counter()
        self._queue: deque[dict[str, Any]] = deque()
        self._accepted = 0  # records queued (only the writer threads change it)
        self._done = 0  # records sent, rejected or given up (only the shipping thread changes it)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kijun-decision-shipper", daemon=True)
        self._thread.start()

    def write(self, record: dict[str, Any]) -> None:
        if len(self._queue) >= self._max_pending or self._stop.is_set():
            self.counters["dropped"] += 1
            return
        self._queue.append(record)
        self._accepted += 1
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def _http_post(self, body: bytes) -> int:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._token}"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0

    def _send(self, batch: list[dict[str, Any]]) -> None:
        events = [mask_record(r, self._masking) for r in batch]
        body = json.dumps({"events": events}, ensure_ascii=False, separators=(",", ":")).encode()
        for attempt in range(self._max_attempts):
            status = self._post(body)
            if 200 <= status < 300:
                self.counters["shipped"] += len(batch)
                self.counters["batches"] += 1
                return
            if 400 <= status < 500 and status not in (408, 429):
                self.counters["rejected"] += len(batch)
                return
            if attempt + 1 < self._max_attempts:
                self.counters["retries"] += 1
                if self._stop.wait(min(self._backoff * 2**attempt, self._max_backoff)):
                    break
        self.counters["failed"] += len(batch)

    def _drain(self) -> None:
        while self._queue:
            batch: list[dict[str, Any]] = []
            while self._queue and len(batch) < self._batch_size:
                batch.append(self._queue.popleft())
            try:
                self._send(batch)
            except Exception:  # noqa: BLE001 - a bad record must not kill the shipper
                self.counters["failed"] += len(batch)
            self._done += len(batch)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self._drain()
        self._drain()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every record queued before the call was sent or given up; False on timeout."""
        target = self._accepted
        deadline = time.monotonic() + timeout
        self._wake.set()
        while self._done < target:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (bounded by ``timeout``), then stop the thread."""
        self.flush(timeout)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def metrics_text(self) -> str:
        lines = []
        for name in ("shipped", "dropped", "rejected", "failed", "retries"):
            metric = f"kijun_access_decision_log_{name}_total"
            lines += [f"# TYPE {metric} counter", f"{metric} {self.counters[name]}"]
        lines += ["# TYPE kijun_access_decision_log_queue gauge", f"kijun_access_decision_log_queue {len(self._queue)}"]
        return "\n".join(lines) + "\n"


__all__ = ["DecisionSink", "FanoutSink", "HttpShipper", "JsonLinesSink", "MaskingRules", "MemorySink", "log_record",
           "mask_record"]
