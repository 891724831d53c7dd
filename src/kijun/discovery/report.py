"""The discovery report: per-app usage, unknown domains, top lists and per-user drill-down.

Built from a ``Rollup`` (already small), so this module is plain Python. ``Report.to_dict`` is the
stable JSON document (``schema_version``) documented in docs/discovery.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

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


@dataclass
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


@dataclass
class UserAppUsage:
    key: str
    name: str
    status: str
    transactions: int
    bytes_up: int | None
    bytes_down: int | None
    first_seen: str | None
    last_seen: str | None


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
    usage: list[UserAppUsage] = field(default_factory=list)


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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d = {"schema_version": d.pop("schema_version"), **d}
        for s in d["sources"]:
            s.pop("sample_limit", None)
        return d


def _sum(values: Iterable[int | None]) -> int | None:
    total, known = 0, False
    for v in values:
        if v is not None:
            total += v
            known = True
    return total if known else None


def _min(values: Iterable[float | None]) -> float | None:
    return min((v for v in values if v is not None), default=None)


def _max(values: Iterable[float | None]) -> float | None:
    return max((v for v in values if v is not None), default=None)


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
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in rollup.rows:
        by_key[row.key].append(row)
    hosts_by_key: dict[str, list[HostUsage]] = defaultdict(list)
    for h in rollup.hosts:
        hosts_by_key[h.key].append(HostUsage(h.host, h.transactions, h.bytes_up, h.bytes_down))
    apps: list[AppUsage] = []
    unknown: list[AppUsage] = []
    for key, rows in by_key.items():
        m = rollup.matches[key]
        hosts = sorted(hosts_by_key[key], key=lambda h: (-h.transactions, h.host))[:hosts_per_app]
        usage = AppUsage(
            key=key,
            app_id=m.app_id,
            status=m.status,
            register_status=m.register_status,
            scope_domain=m.scope,
            registrable_domain=m.registrable,
            users=len({r.user for r in rows if r.user is not None}),
            source_ips=len({r.src_ip for r in rows if r.src_ip is not None}),
            transactions=sum(r.transactions for r in rows),
            bytes_up=_sum(r.bytes_up for r in rows),
            bytes_down=_sum(r.bytes_down for r in rows),
            first_seen=iso(_min(r.first_seen for r in rows)),
            last_seen=iso(_max(r.last_seen for r in rows)),
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

    per_user: dict[str, list[Any]] = defaultdict(list)
    per_ip: dict[str, list[Any]] = defaultdict(list)
    for row in rollup.rows:
        if row.user is not None:
            per_user[row.user].append(row)
        if row.src_ip is not None:
            per_ip[row.src_ip].append(row)
    users: list[UserUsage] = []
    for user, rows in per_user.items():
        per_app: dict[str, list[Any]] = defaultdict(list)
        for r in rows:
            per_app[r.key].append(r)
        detail = [
            UserAppUsage(
                key, name_of[key], status_of[key], sum(r.transactions for r in rs),
                _sum(r.bytes_up for r in rs), _sum(r.bytes_down for r in rs),
                iso(_min(r.first_seen for r in rs)), iso(_max(r.last_seen for r in rs)),
            )
            for key, rs in per_app.items()
        ]  # fmt: skip
        detail.sort(key=lambda u: (-u.transactions, u.key))
        users.append(
            UserUsage(
                user=user,
                transactions=sum(r.transactions for r in rows),
                bytes_up=_sum(r.bytes_up for r in rows),
                bytes_down=_sum(r.bytes_down for r in rows),
                apps=sum(1 for k in per_app if status_of[k] != "unknown-domain"),
                unsanctioned_apps=sum(1 for k in per_app if status_of[k] == "unsanctioned"),
                unknown_domains=sum(1 for k in per_app if status_of[k] == "unknown-domain"),
                first_seen=iso(_min(r.first_seen for r in rows)),
                last_seen=iso(_max(r.last_seen for r in rows)),
                usage=detail,
            )
        )
    users.sort(key=lambda u: (-u.unsanctioned_apps, -u.transactions, u.user))
    ips = [
        IpUsage(
            ip, sum(r.transactions for r in rows),
            len({r.key for r in rows if status_of[r.key] != "unknown-domain"}),
            len({r.key for r in rows if status_of[r.key] == "unsanctioned"}),
        )
        for ip, rows in per_ip.items()
    ]  # fmt: skip
    ips.sort(key=lambda i: (-i.unsanctioned_apps, -i.transactions, i.src_ip))
    unsanctioned = [a.key for a in apps if a.status == "unsanctioned"]
    top_users = [u.user for u in sorted(users, key=lambda u: (-u.transactions, u.user))[:top_n]]
    totals = Totals(
        lines=sum(s.lines for s in sources),
        events=sum(s.events for s in sources),
        malformed=sum(s.malformed for s in sources),
        users=len(per_user),
        source_ips=len(per_ip),
        apps=len(apps),
        sanctioned_apps=sum(1 for a in apps if a.status == "sanctioned"),
        unsanctioned_apps=len(unsanctioned),
        unknown_domains=len(unknown),
        bytes_up=_sum(r.bytes_up for r in rollup.rows),
        bytes_down=_sum(r.bytes_down for r in rollup.rows),
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
