"""The discovery report: per-app usage, unknown domains, top lists and per-user drill-down.

The data model both backends build (``sqlreport`` for duckdb, ``pyreport`` for python).
``Report.to_dict`` is the stable JSON document (``schema_version``) documented in
docs/discovery.md; ``write_json``/``iter_json`` write it without building the drill-down.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

from kijun.discovery.catalog import Catalog
from kijun.discovery.matcher import Match
from kijun.discovery.model import ParseStats

SCHEMA_VERSION = 1

RISK_NOTES: dict[str, tuple[str, str]] = {
    "prohibited": ("登録簿で利用禁止", "prohibited in the register"),
    "under_review": ("登録簿で審査中", "under review in the register"),
    "no_ismap": ("ISMAP 登録が確認されていない", "no ISMAP registration recorded"),
    "data_outside_japan": ("データ保存場所が国外のみ", "data stored only outside Japan"),
    "data_location_unknown": ("データ保存場所が不明", "data location unknown"),
    "foreign_hq": ("本社が国外（外国法の適用）", "provider headquartered outside Japan"),
    "terms_only": ("約款のみで提供される個人向けサービス", "offered only under click-through terms (約款)"),
    "not_in_catalog": ("カタログ未登録のドメイン", "domain not in the app catalog"),
}


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class HostUsage:
    host: str
    transactions: int
    bytes_up: int | None
    bytes_down: int | None


@dataclass
class AppUsage:
    key: str
    app_id: str | None
    name_ja: str
    name_en: str
    vendor: str | None
    category: str | None
    status: str
    register_status: str | None
    scope_domain: str | None
    registrable_domain: str | None
    users: int
    source_ips: int
    transactions: int
    bytes_up: int | None
    bytes_down: int | None
    first_seen: str | None
    last_seen: str | None
    hq_country: str | None
    data_locations: list[str] | None
    ismap: str | None
    terms_only: bool
    risk_notes: list[str]
    hosts: list[HostUsage]


@dataclass(slots=True)
class UserAppUsage:
    key: str
    name: str
    status: str
    transactions: int
    bytes_up: int | None
    bytes_down: int | None
    first_seen: str | None
    last_seen: str | None


class UsageRows(Sequence[UserAppUsage]):
    """A user's drill-down rows kept as their JSON text (UTF-8), parsed on first use.

    Why: a 10 M line log gives ~2 M (user, service) rows. The SQL report renders each user's rows
    as one JSON array in DuckDB; ``write_json`` copies that text straight into the document, and
    only a caller that looks at the rows (a page, an export) pays for building objects."""

    __slots__ = ("_json", "_rows")

    def __init__(self, json_text: bytes) -> None:
        self._json = json_text
        self._rows: list[UserAppUsage] | None = None

    @property
    def json(self) -> bytes:
        """The rows as a compact JSON array, exactly as ``json.dumps`` writes ``to_dict``'s list."""
        return self._json

    def _load(self) -> list[UserAppUsage]:
        if self._rows is None:
            self._rows = [UserAppUsage(**d) for d in json.loads(self._json)]
        return self._rows

    def __len__(self) -> int:
        return len(self._load())

    @overload
    def __getitem__(self, i: int) -> UserAppUsage: ...
    @overload
    def __getitem__(self, i: slice) -> list[UserAppUsage]: ...
    def __getitem__(self, i: int | slice) -> UserAppUsage | list[UserAppUsage]:
        return self._load()[i]

    def __iter__(self) -> Iterator[UserAppUsage]:
        return iter(self._load())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable-sequence equality, like list

    def __repr__(self) -> str:
        return f"UsageRows({len(self._json)} bytes)"


@dataclass
class UserUsage:
    user: str
    transactions: int
    bytes_up: int | None
    bytes_down: int | None
    apps: int
    unsanctioned_apps: int
    unknown_domains: int
    first_seen: str | None
    last_seen: str | None
    usage: Sequence[UserAppUsage] = field(default_factory=list)


@dataclass
class IpUsage:
    src_ip: str
    transactions: int
    apps: int
    unsanctioned_apps: int


@dataclass
class Totals:
    lines: int
    events: int
    malformed: int
    users: int
    source_ips: int
    apps: int
    sanctioned_apps: int
    unsanctioned_apps: int
    unknown_domains: int
    bytes_up: int | None
    bytes_down: int | None


@dataclass
class Report:
    generated_at: str
    since: str | None
    until: str | None
    register: str | None
    pseudonymised: bool
    sources: list[ParseStats]
    totals: Totals
    apps: list[AppUsage]
    unknown_domains: list[AppUsage]
    top_unsanctioned_apps: list[str]
    top_users: list[str]
    top_source_ips: list[IpUsage]
    users: list[UserUsage]
    schema_version: int = SCHEMA_VERSION

    def app(self, key: str) -> AppUsage | None:
        return next((a for a in [*self.apps, *self.unknown_domains] if a.key == key), None)

    def user(self, name: str) -> UserUsage | None:
        """Per-user drill-down."""
        return next((u for u in self.users if u.user == name), None)

    def to_dict(self, users: bool = True) -> dict[str, Any]:
        """The JSON document (``users=False``: without the per-user drill-down). Hand-written (not ``dataclasses.asdict``, which deep-copies and was
        the slowest step of a large scan); every list and dict is a fresh copy."""

        def app(a: AppUsage) -> dict[str, Any]:
            d = dict(vars(a))
            d["data_locations"] = list(a.data_locations) if a.data_locations is not None else None
            d["risk_notes"] = list(a.risk_notes)
            d["hosts"] = [
                {"host": h.host, "transactions": h.transactions, "bytes_up": h.bytes_up, "bytes_down": h.bytes_down}
                for h in a.hosts
            ]
            return d

        def source(s: ParseStats) -> dict[str, Any]:
            return {
                "source": s.source, "format": s.format, "encoding": s.encoding, "compressed": s.compressed,
                "lines": s.lines, "events": s.events, "malformed": s.malformed, "skipped": dict(s.skipped),
                "malformed_samples": [dict(vars(m)) for m in s.malformed_samples], "error": s.error,
            }  # fmt: skip

        return {
            "schema_version": self.schema_version,
            "generated_at": self.generated_at,
            "since": self.since,
            "until": self.until,
            "register": self.register,
            "pseudonymised": self.pseudonymised,
            "sources": [source(s) for s in self.sources],
            "totals": dict(vars(self.totals)),
            "apps": [app(a) for a in self.apps],
            "unknown_domains": [app(a) for a in self.unknown_domains],
            "top_unsanctioned_apps": list(self.top_unsanctioned_apps),
            "top_users": list(self.top_users),
            "top_source_ips": [dict(vars(i)) for i in self.top_source_ips],
            **({"users": [user_dict(u) for u in self.users]} if users else {}),
        }

    def write_json(self, out: Any) -> None:
        """Write ``to_dict()`` as compact JSON (``ensure_ascii=False``, no spaces) to the binary
        stream ``out``, byte for byte what ``json.dumps`` gives, without building the drill-down:
        rows the SQL report rendered are copied as they are."""
        for chunk in self.iter_json():
            out.write(chunk)

    def iter_json(self, usage: Iterable[bytes] | None = None) -> Iterator[bytes]:
        """``write_json`` as chunks (one per user after the head), for a streamed HTTP response.

        ``usage``: each user's rows as JSON text, in ``users`` order, in place of ``u.usage`` (a
        stored scan reads them from the database one at a time while the response streams)."""
        head = _compact(self.to_dict(users=False))
        yield head[:-1].encode("utf-8") + b',"users":['
        rows = iter(usage) if usage is not None else (usage_json(u) for u in self.users)
        for i, (u, text) in enumerate(zip(self.users, rows, strict=True)):
            d = user_dict(u, rows=False)
            d.pop("usage")  # the last key of a user, so it is written last
            yield (b"," if i else b"") + _compact(d)[:-1].encode("utf-8") + b',"usage":' + text + b"}"
        yield b"]}"


def assemble(
    sources: list[ParseStats],
    apps: list[AppUsage],
    unknown: list[AppUsage],
    users: list[UserUsage],
    ips: list[IpUsage],
    source_ips: int,
    *,
    generated_at: datetime,
    since: datetime | None,
    until: datetime | None,
    register_source: str | None,
    pseudonymised: bool,
    top_n: int,
) -> Report:
    """The ``Report`` both backends end with once apps, users and source IPs are known (each
    already in report order): totals, top lists and the scan's metadata."""
    unsanctioned = [a.key for a in apps if a.status == "unsanctioned"]
    every = [*apps, *unknown]
    totals = Totals(
        lines=sum(s.lines for s in sources),
        events=sum(s.events for s in sources),
        malformed=sum(s.malformed for s in sources),
        users=len(users),
        source_ips=source_ips,
        apps=len(apps),
        sanctioned_apps=sum(1 for a in apps if a.status == "sanctioned"),
        unsanctioned_apps=len(unsanctioned),
        unknown_domains=len(unknown),
        bytes_up=_total(a.bytes_up for a in every),
        bytes_down=_total(a.bytes_down for a in every),
    )
    return Report(
        generated_at=generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        register=register_source,
        pseudonymised=pseudonymised,
        sources=sources,
        totals=totals,
        apps=apps,
        unknown_domains=unknown,
        top_unsanctioned_apps=unsanctioned[:top_n],
        top_users=[u.user for u in sorted(users, key=lambda u: (-u.transactions, u.user))[:top_n]],
        top_source_ips=ips[:top_n],
        users=users,
    )


def _compact(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def usage_json(u: UserUsage) -> bytes:
    """A user's drill-down rows as the compact JSON array ``write_json`` writes (UTF-8)."""
    if isinstance(u.usage, UsageRows):
        return u.usage.json
    return _compact(user_dict(u)["usage"]).encode("utf-8")


def user_dict(u: UserUsage, rows: bool = True) -> dict[str, Any]:
    """One user's drill-down as in the JSON document (``rows=False``: ``usage`` left as given)."""
    d = dict(vars(u))
    if rows or not isinstance(u.usage, UsageRows):
        d["usage"] = [
            {"key": x.key, "name": x.name, "status": x.status, "transactions": x.transactions,
             "bytes_up": x.bytes_up, "bytes_down": x.bytes_down, "first_seen": x.first_seen,
             "last_seen": x.last_seen}
            for x in u.usage
        ]  # fmt: skip
    return d


def _risks(m: Match, catalog: Catalog) -> list[str]:
    notes: list[str] = []
    if m.register_status in ("prohibited", "under_review"):
        notes.append(m.register_status)
    app = catalog.get(m.app_id) if m.app_id else None
    if app is None:
        if m.status == "unknown-domain":
            notes.append("not_in_catalog")
        return notes
    if app.ismap is None:
        notes.append("no_ismap")
    if app.data_locations is None:
        notes.append("data_location_unknown")
    elif "JP" not in app.data_locations:
        notes.append("data_outside_japan")
    if app.hq_country is not None and app.hq_country != "JP":
        notes.append("foreign_hq")
    if app.terms_only:
        notes.append("terms_only")
    return notes


def _describe(m: Match, catalog: Catalog) -> dict[str, Any]:
    app = catalog.get(m.app_id) if m.app_id else None
    if app is not None:
        name_ja, name_en = app.name_ja, app.name_en
        if m.scope:
            name_ja, name_en = f"{name_ja}（{m.scope}）", f"{name_en} ({m.scope})"
        return {
            "name_ja": name_ja, "name_en": name_en, "vendor": app.vendor, "category": app.category,
            "hq_country": app.hq_country,
            "data_locations": list(app.data_locations) if app.data_locations else None,
            "ismap": app.ismap, "terms_only": app.terms_only,
        }  # fmt: skip
    label = m.scope or m.registrable or m.key
    return {
        "name_ja": label, "name_en": label, "vendor": None, "category": None, "hq_country": None,
        "data_locations": None, "ismap": None, "terms_only": False,
    }  # fmt: skip


def _total(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


class _Iso:
    """ISO strings per whole second, cached (hundreds of thousands of drill-down rows share seconds)."""

    def __init__(self) -> None:
        self._cache: dict[int, str] = {}
        self.cached = self._cache.get
        """``cached(whole_second)``: the string if already formatted, else None (no call overhead)."""

    def __call__(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        sec = int(ts // 1)
        text = self._cache.get(sec)
        if text is None:
            text = self._cache[sec] = datetime.fromtimestamp(sec, UTC).isoformat(timespec="seconds")
        return text
