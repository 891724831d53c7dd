"""The python backend's report: ``build_report`` walks a ``Rollup`` with dicts and sets.

It is the executable specification the SQL report (``sqlreport``) is tested against, and what the
``python`` backend uses; the data model and the JSON document are in ``report``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from kijun.discovery.aggregate import Rollup
from kijun.discovery.catalog import Catalog
from kijun.discovery.model import ParseStats
from kijun.discovery.report import (
    AppUsage,
    HostUsage,
    IpUsage,
    Report,
    UserAppUsage,
    UserUsage,
    _describe,
    _Iso,
    _risks,
    assemble,
)


class _Acc:
    """Running sums for one group of rollup rows (bytes stay ``None`` until a known value arrives)."""

    __slots__ = ("n", "up", "down", "first", "last")

    def __init__(self) -> None:
        self.n = 0
        self.up: int | None = None
        self.down: int | None = None
        self.first: float | None = None
        self.last: float | None = None


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
    return assemble(
        sources, apps, unknown, users, ips, len(per_ip), generated_at=generated_at, since=since, until=until,
        register_source=register_source, pseudonymised=pseudonymised, top_n=top_n,
    )  # fmt: skip
