"""The discovery report: per-app usage, unknown domains, top lists and per-user drill-down.

Built from a ``Rollup`` (already small), so this module is plain Python. ``Report.to_dict`` is the
stable JSON document (``schema_version``) documented in docs/discovery.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

from kijun.discovery.aggregate import Rollup
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

    def iter_json(self) -> Iterator[bytes]:
        """``write_json`` as chunks (one per user after the head), for a streamed HTTP response."""
        head = _compact(self.to_dict(users=False))
        yield head[:-1].encode("utf-8") + b',"users":['
        for i, u in enumerate(self.users):
            d = user_dict(u, rows=False)
            d.pop("usage")  # the last key of a user, so it is written last
            yield (b"," if i else b"") + _compact(d)[:-1].encode("utf-8") + b',"usage":' + usage_json(u) + b"}"
        yield b"]}"


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


class _Acc:
    """Running sums for one group of rollup rows (bytes stay ``None`` until a known value arrives)."""

    __slots__ = ("n", "up", "down", "first", "last")

    def __init__(self) -> None:
        self.n = 0
        self.up: int | None = None
        self.down: int | None = None
        self.first: float | None = None
        self.last: float | None = None


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


def build_report(
    rollup: Rollup,
    catalog: Catalog,
    sources: list[ParseStats],
    *,
    generated_at: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    register_source: str | None = None,
    pseudonymised: bool = False,
    top_n: int = 20,
    hosts_per_app: int = 20,
) -> Report:
    """One pass over the rollup into per-app, per-(user, app) and per-IP accumulators."""
    fmt = _Iso()
    # Hot loop over every rollup row: plain lists and bound methods, no per-row method calls.
    per_app: dict[str, list[Any]] = {}  # key -> [n, up, down, first, last, users, ips]
    per_user_app: dict[tuple[str, str], list[Any]] = {}  # (user, key) -> [n, up, down, first, last]
    per_ip: dict[str, list[Any]] = {}  # ip -> [n, keys]
    app_get, ua_get, ip_get = per_app.get, per_user_app.get, per_ip.get
    for key, user, ip, n, up, down, first, last in rollup.rows:
        a = app_get(key)
        if a is None:
            a = per_app[key] = [0, None, None, None, None, set(), set()]
        a[0] += n
        if up is not None:
            a[1] = up if a[1] is None else a[1] + up
        if down is not None:
            a[2] = down if a[2] is None else a[2] + down
        if first is not None and (a[3] is None or first < a[3]):
            a[3] = first
        if last is not None and (a[4] is None or last > a[4]):
            a[4] = last
        if user is not None:
            a[5].add(user)
            pair = (user, key)
            ua = ua_get(pair)
            if ua is None:
                per_user_app[pair] = [n, up, down, first, last]
            else:
                ua[0] += n
                if up is not None:
                    ua[1] = up if ua[1] is None else ua[1] + up
                if down is not None:
                    ua[2] = down if ua[2] is None else ua[2] + down
                if first is not None and (ua[3] is None or first < ua[3]):
                    ua[3] = first
                if last is not None and (ua[4] is None or last > ua[4]):
                    ua[4] = last
        if ip is not None:
            a[6].add(ip)
            ipa = ip_get(ip)
            if ipa is None:
                per_ip[ip] = [n, {key}]
            else:
                ipa[0] += n
                ipa[1].add(key)
    hosts_by_key: dict[str, list[HostUsage]] = defaultdict(list)
    for h in rollup.hosts:
        hosts_by_key[h.key].append(HostUsage(h.host, h.transactions, h.bytes_up, h.bytes_down))
    apps: list[AppUsage] = []
    unknown: list[AppUsage] = []
    for key, acc in per_app.items():
        m = rollup.matches[key]
        hosts = sorted(hosts_by_key[key], key=lambda h: (-h.transactions, h.host))[:hosts_per_app]
        usage = AppUsage(
            key=key,
            app_id=m.app_id,
            status=m.status,
            register_status=m.register_status,
            scope_domain=m.scope,
            registrable_domain=m.registrable,
            users=len(acc[5]),
            source_ips=len(acc[6]),
            transactions=acc[0],
            bytes_up=acc[1],
            bytes_down=acc[2],
            first_seen=fmt(acc[3]),
            last_seen=fmt(acc[4]),
            risk_notes=_risks(m, catalog),
            hosts=hosts,
            **_describe(m, catalog),
        )
        (unknown if m.status == "unknown-domain" else apps).append(usage)
    order = lambda a: (-a.users, -a.source_ips, -a.transactions, a.key)  # noqa: E731
    apps.sort(key=order)
    unknown.sort(key=order)
    status_of = {a.key: a.status for a in [*apps, *unknown]}
    name_of = {a.key: a.name_ja for a in [*apps, *unknown]}

    by_user: dict[str, list[UserAppUsage]] = defaultdict(list)
    user_total: dict[str, _Acc] = {}
    for (user, key), (n, up, down, first, last) in per_user_app.items():
        by_user[user].append(
            UserAppUsage(key, name_of[key], status_of[key], n, up, down, fmt(first), fmt(last))
        )
        t = user_total.get(user)
        if t is None:
            t = user_total[user] = _Acc()
        t.n += n
        if up is not None:
            t.up = up if t.up is None else t.up + up
        if down is not None:
            t.down = down if t.down is None else t.down + down
        if first is not None and (t.first is None or first < t.first):
            t.first = first
        if last is not None and (t.last is None or last > t.last):
            t.last = last
    users: list[UserUsage] = []
    for user, detail in by_user.items():
        detail.sort(key=lambda u: (-u.transactions, u.key))
        t = user_total[user]
        statuses = [d.status for d in detail]
        users.append(
            UserUsage(
                user=user,
                transactions=t.n,
                bytes_up=t.up,
                bytes_down=t.down,
                apps=sum(1 for s in statuses if s != "unknown-domain"),
                unsanctioned_apps=statuses.count("unsanctioned"),
                unknown_domains=statuses.count("unknown-domain"),
                first_seen=fmt(t.first),
                last_seen=fmt(t.last),
                usage=detail,
            )
        )
    users.sort(key=lambda u: (-u.unsanctioned_apps, -u.transactions, u.user))
    ips = [
        IpUsage(
            ip, n,
            sum(1 for k in keys if status_of[k] != "unknown-domain"),
            sum(1 for k in keys if status_of[k] == "unsanctioned"),
        )
        for ip, (n, keys) in per_ip.items()
    ]  # fmt: skip
    ips.sort(key=lambda i: (-i.unsanctioned_apps, -i.transactions, i.src_ip))
    unsanctioned = [a.key for a in apps if a.status == "unsanctioned"]
    top_users = [u.user for u in sorted(users, key=lambda u: (-u.transactions, u.user))[:top_n]]
    totals = Totals(
        lines=sum(s.lines for s in sources),
        events=sum(s.events for s in sources),
        malformed=sum(s.malformed for s in sources),
        users=len(users),
        source_ips=len(per_ip),
        apps=len(apps),
        sanctioned_apps=sum(1 for a in apps if a.status == "sanctioned"),
        unsanctioned_apps=len(unsanctioned),
        unknown_domains=len(unknown),
        bytes_up=_total(a[1] for a in per_app.values()),
        bytes_down=_total(a[2] for a in per_app.values()),
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
        top_users=top_users,
        top_source_ips=ips[:top_n],
        users=users,
    )
