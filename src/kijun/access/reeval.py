"""Continuous re-evaluation: when a signal changes what we know, re-decide the sessions it touches.

R7 7.3.2(2)(a) asks agencies to act on risks found while collecting resource credit information.
Here a *signal* (device posture changed, EDR alert on a device, user disabled, session revoked)
is applied to the stored request of every active session it concerns, and the session is decided
again with the current policy. The result says which sessions to revoke (now deny), which need a
step-up, and which stay allowed. ``reevaluate`` is a pure function of (engine, sessions, signal);
``SessionRegistry`` is a small bounded in-memory store with TTL and an injected clock that the PDP
server uses to remember the sessions it allowed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .engine import Clock, Engine
from .model import AccessRequest, Decision
from .verdict import Verdict

SignalKind = Literal["device_posture_changed", "edr_alert", "edr_cleared", "user_disabled", "session_revoked"]


class Signal(BaseModel):
    """A change in resource credit information. Which id field matters depends on ``kind``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: SignalKind
    device_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    posture: dict[str, Any] = Field(default_factory=dict)  # device fields, for device_posture_changed


CAEP = "https://schemas.openid.net/secevent/caep/event-type/"
RISC = "https://schemas.openid.net/secevent/risc/event-type/"


def _ident(part: Any) -> str | None:
    if not isinstance(part, dict):
        return None
    value = part.get("id") or part.get("sub") or part.get("email") or part.get("uri")
    return str(value) if value else None


def _subject_id(event: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(device id, user id, session id) named by a SET event's subject.

    A simple subject (``{"format": "opaque", "id": ...}``) names whatever the event type is
    about, so its id fills every slot; a complex subject names ``device``/``user``/``session``.
    """
    subject = event.get("subject")
    if not isinstance(subject, dict):
        return None, None, None
    if "format" in subject:
        ident = _ident(subject)
        return ident, ident, ident
    return _ident(subject.get("device")), _ident(subject.get("user")), _ident(subject.get("session"))


def signals_from_set(payload: dict[str, Any]) -> list[Signal]:
    """Map a Shared Signals SET payload (already verified and decoded) to kijun signals.

    CAEP ``session-revoked`` -> session_revoked; CAEP ``device-compliance-change`` ->
    edr_alert (``not-compliant``) / edr_cleared (``compliant``); RISC ``account-disabled`` /
    ``account-purged`` -> user_disabled. Other event types are ignored.
    """
    events = payload.get("events")
    if not isinstance(events, dict):
        raise ValueError("a SET payload needs an 'events' object")
    out: list[Signal] = []
    for event_type, event in events.items():
        if not isinstance(event, dict):
            continue
        device, user, session = _subject_id(event)
        if event_type == CAEP + "session-revoked" and session:
            out.append(Signal(kind="session_revoked", session_id=session))
        elif event_type == CAEP + "device-compliance-change" and device:
            status = event.get("current_status")
            if status == "not-compliant":
                out.append(Signal(kind="edr_alert", device_id=device))
            elif status == "compliant":
                out.append(Signal(kind="edr_cleared", device_id=device))
        elif event_type in (RISC + "account-disabled", RISC + "account-purged") and user:
            out.append(Signal(kind="user_disabled", user_id=user))
    return out


def signals_from_json(data: Any) -> list[Signal]:
    """Accept kijun's simple signal JSON or a decoded SET payload (object with ``events``)."""
    if isinstance(data, dict) and "events" in data and "kind" not in data:
        return signals_from_set(data)
    return [Signal.model_validate(data)]


@dataclass(frozen=True)
class ActiveSession:
    session_id: str
    request: AccessRequest
    decision: str


@dataclass(frozen=True)
class SessionOutcome:
    session_id: str
    decision: Verdict | None  # None when revoked directly by a session_revoked signal
    action: Literal["revoke", "step_up", "keep"]
    updated_request: AccessRequest


@dataclass(frozen=True)
class Reevaluation:
    outcomes: tuple[SessionOutcome, ...]

    @property
    def revoke(self) -> list[str]:
        return [o.session_id for o in self.outcomes if o.action == "revoke"]

    @property
    def step_up(self) -> list[str]:
        return [o.session_id for o in self.outcomes if o.action == "step_up"]

    @property
    def keep(self) -> list[str]:
        return [o.session_id for o in self.outcomes if o.action == "keep"]


def affects(signal: Signal, session: ActiveSession) -> bool:
    req = session.request
    if signal.kind == "session_revoked":
        return signal.session_id == session.session_id
    if signal.kind == "user_disabled":
        return signal.user_id == req.principal.id
    return signal.device_id is not None and signal.device_id == req.context.device.id


def tighten(device: dict[str, Any], reported: dict[str, Any]) -> None:
    """Fold reported posture into ``device`` without ever improving it: a flag can only become
    false, the patch age only larger. A signal can take trust away, never vouch for a device."""
    for key, value in reported.items():
        if key == "os_patch_age_days" and isinstance(value, int) and not isinstance(value, bool):
            device[key] = max(int(device.get(key, 0)), value)
        elif isinstance(device.get(key), bool) and value is False:
            device[key] = False


def apply_signal(signal: Signal, request: AccessRequest) -> AccessRequest:
    """The request as it would look now that the signal is known (pydantic re-validates it)."""
    data = request.model_dump(mode="json")
    data["context"]["time"] = None  # decide at the time of the re-evaluation, not the original
    device = data["context"]["device"]
    if signal.kind == "edr_alert":
        device["edr_healthy"] = False
    elif signal.kind == "edr_cleared":
        device["edr_healthy"] = True
    elif signal.kind == "device_posture_changed":
        tighten(device, signal.posture)
    elif signal.kind == "user_disabled":
        data["principal"]["disabled"] = True
    return AccessRequest.model_validate(data)


def reevaluate(engine: Engine, sessions: Iterable[ActiveSession], signal: Signal) -> Reevaluation:
    """Re-decide every session the signal affects; sessions it does not touch are not returned."""
    outcomes: list[SessionOutcome] = []
    for session in sessions:
        if not affects(signal, session):
            continue
        if signal.kind == "session_revoked":
            outcomes.append(SessionOutcome(session.session_id, None, "revoke", session.request))
            continue
        updated = apply_signal(signal, session.request)
        decision = engine.decide(updated)
        action: Literal["revoke", "step_up", "keep"] = {
            "deny": "revoke", "step_up": "step_up", "allow": "keep"
        }[decision.decision]  # type: ignore[assignment]
        outcomes.append(SessionOutcome(session.session_id, decision, action, updated))
    return Reevaluation(tuple(outcomes))


class SessionRegistry:
    """Active sessions the PDP allowed: bounded (oldest evicted first) and expiring after ``ttl``."""

    def __init__(self, clock: Clock, max_sessions: int = 100_000, ttl: timedelta = timedelta(hours=8)) -> None:
        self._clock = clock
        self._max = max_sessions
        self._ttl = ttl
        self._items: OrderedDict[str, tuple[datetime, ActiveSession]] = OrderedDict()

    def __len__(self) -> int:
        self._expire()
        return len(self._items)

    def _expire(self) -> None:
        """Entries are kept in last-seen order, so expired ones are at the front."""
        now = self._clock()
        while self._items:
            sid, (seen, _) = next(iter(self._items.items()))
            if now - seen <= self._ttl:
                break
            del self._items[sid]

    def record(self, request: AccessRequest, decision: Decision | Verdict) -> None:
        """Remember the last allowed request of a session (a later denied request does not undo
        what the session was already given; signals do)."""
        sid = request.session_id
        if sid is None or decision.decision != "allow":
            return
        self._items[sid] = (self._clock(), ActiveSession(sid, request, decision.decision))
        self._items.move_to_end(sid)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    def sessions(self) -> list[ActiveSession]:
        self._expire()
        return [session for _, session in self._items.values()]

    def apply(self, result: Reevaluation) -> None:
        """Drop revoked sessions and update kept ones with the new request."""
        for outcome in result.outcomes:
            if outcome.action == "keep":
                self._items[outcome.session_id] = (
                    self._clock(),
                    ActiveSession(outcome.session_id, outcome.updated_request, "allow"),
                )
                self._items.move_to_end(outcome.session_id)
            else:
                self._items.pop(outcome.session_id, None)


class SignalOverlay:
    """What signals told us, applied to later requests (bounded; newest wins).

    The PEP's own posture headers may lag behind an EDR alert; once the PDP has heard the alert,
    every later request from that device is decided with the alerted posture, and requests of a
    disabled user as disabled, until a clearing signal arrives or the entry expires.
    """

    def __init__(self, clock: Clock, max_entries: int = 100_000, ttl: timedelta = timedelta(hours=24)) -> None:
        self._clock = clock
        self._max = max_entries
        self._ttl = ttl
        self._devices: OrderedDict[str, tuple[datetime, dict[str, Any]]] = OrderedDict()
        self._users: OrderedDict[str, datetime] = OrderedDict()
        self.version = 0  # bumped by every recorded signal; decision-log records carry it

    def record(self, signal: Signal) -> None:
        now = self._clock()
        self.version += 1
        if signal.kind in ("edr_alert", "edr_cleared", "device_posture_changed") and signal.device_id:
            _, known = self._devices.pop(signal.device_id, (now, {}))
            if signal.kind == "edr_alert":
                known = {**known, "edr_healthy": False}
            elif signal.kind == "edr_cleared":
                known = {k: v for k, v in known.items() if k != "edr_healthy"}
            else:
                known = {**known, **{k: v for k, v in signal.posture.items() if k != "id"}}
            self._devices[signal.device_id] = (now, known)
            while len(self._devices) > self._max:
                self._devices.popitem(last=False)
        elif signal.kind == "user_disabled" and signal.user_id:
            self._users.pop(signal.user_id, None)
            self._users[signal.user_id] = now
            while len(self._users) > self._max:
                self._users.popitem(last=False)

    def apply(self, request: AccessRequest) -> AccessRequest:
        """The request with what signals told us folded in. Signals only ever tighten: a flag is
        set to false if a signal said so, patch age takes the larger value; a signal can never
        make a device look better than its PEP reports."""
        entry = self._devices.get(request.context.device.id) if self._devices else None
        disabled_at = self._users.get(request.principal.id) if self._users else None
        if entry is None and disabled_at is None:  # the common case: no signal about this request
            return request
        now = self._clock()
        device_id = request.context.device.id
        override = entry[1] if entry and now - entry[0] <= self._ttl and device_id != "unknown" else {}
        disabled = disabled_at is not None and now - disabled_at <= self._ttl
        if not override and not disabled:
            return request
        data = request.model_dump(mode="json")
        tighten(data["context"]["device"], override)
        if disabled:
            data["principal"]["disabled"] = True
        return AccessRequest.model_validate(data)


__all__ = [
    "CAEP",
    "RISC",
    "signals_from_json",
    "signals_from_set",
    "tighten",
    "ActiveSession",
    "SignalOverlay",
    "Reevaluation",
    "SessionOutcome",
    "SessionRegistry",
    "Signal",
    "affects",
    "apply_signal",
    "reevaluate",
]
