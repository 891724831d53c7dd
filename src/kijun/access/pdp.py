"""The PDP's state: current prepared policy (swapped atomically), routes, sessions, signal overlay.

Kept apart from the HTTP layer so the same object serves the ASGI app, the CLI and tests. Loading
goes through a *loader* (a function returning a PolicySource, or None for "unchanged"); a failing
load keeps the last good policy and records the error, so a bad bundle never takes the PDP down
and never loosens it.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .bundle import BundleError, Limits, read_bundle
from .decision_log import DecisionSink, MaskingRules
from .engine import Clock, Engine, IdFactory, PreparedPolicy, system_clock
from .logqueue import DeferredSink, LogEvent
from .model import AccessRequest, Decision
from .pep import PepError, RouteTable, load_routes
from .policy import PolicyError, PolicySource, load_policy_dir
from .reeval import Reevaluation, SessionRegistry, Signal, SignalOverlay, reevaluate
from .verdict import Verdict

Loader = Callable[[], PolicySource | None]
_COUNTER = {"allow": "decision_allow", "deny": "decision_deny", "step_up": "decision_step_up"}


def dir_loader(directory: Path) -> Loader:
    return lambda: load_policy_dir(directory)


def file_bundle_loader(path: Path, public_key: Ed25519PublicKey | None, limits: Limits | None = None) -> Loader:
    def load() -> PolicySource:
        size_limit = (limits or Limits()).max_compressed
        with path.open("rb") as handle:
            data = handle.read(size_limit + 1)
        return read_bundle(data, public_key, limits)[0]

    return load


@dataclass
class HttpBundleLoader:
    """Polls a bundle URL with ETag / If-None-Match; returns None when the server answers 304."""

    url: str
    public_key: Ed25519PublicKey | None
    limits: Limits = field(default_factory=Limits)
    timeout: float = 10.0
    etag: str | None = None

    def __call__(self) -> PolicySource | None:
        if not self.url.startswith(("http://", "https://")):
            raise BundleError(f"bundle URL must be http(s): {self.url!r}")
        request = urllib.request.Request(self.url)  # noqa: S310 - scheme checked above
        if self.etag:
            request.add_header("If-None-Match", self.etag)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = response.read(self.limits.max_compressed + 1)
                etag = response.headers.get("ETag")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return None
            raise BundleError(f"bundle fetch failed: HTTP {exc.code}") from exc
        except OSError as exc:
            raise BundleError(f"bundle fetch failed: {exc}") from exc
        source = read_bundle(data, self.public_key, self.limits)[0]
        self.etag = etag
        return source


class WebhookNotifier:
    """Posts re-evaluation results (sessions to revoke / step up) to the PEP side's webhook.

    Sending happens on one background thread fed by a bounded queue, so a slow receiver never
    blocks decisions; when the queue is full the notification is dropped and counted.
    """

    def __init__(self, url: str, timeout: float = 1.0, max_pending: int = 1000) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook URL must be http(s): {url!r}")
        self.url = url
        self.timeout = timeout
        self.dropped = 0
        self.failed = 0
        self.sent = 0
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(max_pending)
        self._thread = threading.Thread(target=self._run, name="kijun-webhook", daemon=True)
        self._thread.start()

    def __call__(self, result: Reevaluation) -> None:
        payload = {"revoke": result.revoke, "step_up": result.step_up}
        try:
            self._queue.put_nowait(payload)
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
                self.url, data=json.dumps(payload).encode(), method="POST",
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310
                    self.sent += 1
            except OSError:
                self.failed += 1
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every queued notification has been attempted (tests, shutdown)."""
        self._queue.join()


class PDP:
    """Decides with the current policy; reloads atomically; remembers sessions and signals.

    ``log_sample`` (0..1) samples *allow* decisions into the decision log; deny and step-up
    decisions are always written. A ``logqueue.DeferredSink`` receives lazy :class:`LogEvent` s
    and serialises them off the request path; any other sink gets the finished record
    synchronously through ``write``.

    ``evaluate`` is the hot path (returns a :class:`Verdict`); ``decide`` returns the pydantic
    ``Decision``. Per request it does only: the signal-overlay lookup (two dict probes, no clock
    read unless a signal names this device or user), the engine, a counter, session tracking for
    allowed requests that carry a session id, and the sampled log hand-off.
    """

    def __init__(
        self,
        loader: Loader,
        *,
        clock: Clock = system_clock,
        new_id: IdFactory | None = None,
        sink: DecisionSink | None = None,
        masking: MaskingRules | None = None,
        on_revoke: Callable[[Reevaluation], None] | None = None,
        log_sample: float = 1.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._loader = loader
        self._clock = clock
        self._new_id = new_id
        self._sink = sink
        self._submit = sink.submit if isinstance(sink, DeferredSink) else None
        self._masking = masking or MaskingRules()
        self._on_revoke = on_revoke
        self._log_sample = log_sample
        self._rand = rand
        self._lock = threading.Lock()
        self.engine: Engine | None = None
        self.routes = RouteTable()
        self.last_error: str | None = None
        self.sessions = SessionRegistry(clock)
        self.overlay = SignalOverlay(clock)
        self.counters: Counter[str] = Counter({f"decision_{o}": 0 for o in ("allow", "deny", "step_up")})

    @property
    def revision(self) -> str | None:
        engine = self.engine
        return engine.revision if engine else None

    def reload(self) -> bool:
        """Load and swap in a new policy. False (and the old policy kept) on any failure."""
        try:
            source = self._loader()
            if source is None:
                return True
            prepared = PreparedPolicy.compile(source)
            routes = load_routes(source.routes)
        except (PolicyError, BundleError, PepError, OSError, ValueError) as exc:
            self.last_error = str(exc)
            self.counters["reload_failures"] += 1
            return False
        engine = Engine(prepared, clock=self._clock, new_id=self._new_id)
        with self._lock:
            self.engine, self.routes, self.last_error = engine, routes, None
        self.counters["reloads"] += 1
        return True

    def evaluate(self, request: AccessRequest, path: str = "/v1/decide") -> Verdict:
        engine = self.engine
        if engine is None:
            raise PolicyError("no policy loaded")
        started = perf_counter()
        effective = self.overlay.apply(request)
        verdict = engine.decide(effective)
        elapsed = perf_counter() - started  # two timer reads (~0.1 µs): kept for the log's timer metric
        outcome = verdict.decision
        self.counters[_COUNTER[outcome]] += 1
        if effective.session_id is not None:
            self.sessions.record(effective, verdict)
        if self._sink is not None and (outcome != "allow" or self._rand() < self._log_sample):
            metrics = {"timer_decide_us": round(elapsed * 1e6, 1), "compiled_path": 1.0 if engine.compiled else 0.0,
                       "signal_overlay": 0.0 if effective is request else 1.0,
                       "signal_version": float(self.overlay.version)}
            if self._submit is not None:
                self._submit(LogEvent(effective, verdict, metrics, path, self._masking))
            else:
                self._sink.write(LogEvent(effective, verdict, metrics, path, self._masking).record())
        return verdict

    def decide(self, request: AccessRequest, path: str = "/v1/decide") -> Decision:
        return self.evaluate(request, path).to_decision()

    def signal(self, signal: Signal) -> Reevaluation:
        engine = self.engine
        if engine is None:
            raise PolicyError("no policy loaded")
        self.overlay.record(signal)
        result = reevaluate(engine, self.sessions.sessions(), signal)
        self.sessions.apply(result)
        self.counters["signals"] += 1
        if self._on_revoke is not None and (result.revoke or result.step_up):
            self._on_revoke(result)
        return result

    def metrics_text(self) -> str:
        """Prometheus text exposition of the counters."""
        lines = [
            "# HELP kijun_access_decisions_total Decisions by outcome.",
            "# TYPE kijun_access_decisions_total counter",
        ]
        for outcome in ("allow", "deny", "step_up"):
            lines.append(f'kijun_access_decisions_total{{decision="{outcome}"}} {self.counters[f"decision_{outcome}"]}')
        extra: dict[str, Any] = {
            "kijun_access_errors_total": self.counters["errors"],
            "kijun_access_policy_reloads_total": self.counters["reloads"],
            "kijun_access_policy_reload_failures_total": self.counters["reload_failures"],
            "kijun_access_signals_total": self.counters["signals"],
            "kijun_access_decision_log_dropped_total": getattr(self._sink, "dropped", 0),
            "kijun_access_active_sessions": len(self.sessions),
            "kijun_access_policy_loaded": 1 if self.engine else 0,
        }
        for name, value in extra.items():
            kind = "gauge" if name.endswith(("sessions", "loaded")) else "counter"
            lines += [f"# TYPE {name} {kind}", f"{name} {value}"]
        return "\n".join(lines) + "\n"


__all__ = ["PDP", "HttpBundleLoader", "Loader", "WebhookNotifier", "dir_loader", "file_bundle_loader"]
