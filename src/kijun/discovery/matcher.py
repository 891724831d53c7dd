"""Host name → discovered app: longest configured suffix, register scopes, PSL grouping of the rest.

Matching walks the host's own suffixes from longest to shortest (``a.b.cybozu.com``,
``b.cybozu.com``, ``cybozu.com``, ``com``) with one dict lookup each, so its cost depends on the
number of labels, not on the catalog size. Results are cached per host name.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from publicsuffixlist import PublicSuffixList

from kijun.discovery.catalog import Catalog
from kijun.discovery.register import Register, RegisterEntry, RegisterStatus

Status = Literal["sanctioned", "unsanctioned", "unknown-domain"]
_CACHE_MAX = 500_000


class Match(NamedTuple):
    """Where a host's traffic is reported. ``key`` identifies the report row:

    ``<app id>`` for a catalog app, ``<app id>@<domain>`` or ``@<domain>`` for a register-scoped
    domain, ``?<registrable domain>`` for a host no catalog or register entry claims.
    """

    key: str
    app_id: str | None
    scope: str | None
    registrable: str | None
    status: Status
    register_status: RegisterStatus | None


def is_ip(host: str) -> bool:
    """IPv4 dotted quad or IPv6 literal (direct-to-IP traffic has no registrable domain)."""
    if ":" in host:
        return True
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() for p in parts)


def _status(entry: RegisterEntry | None) -> Status:
    return "sanctioned" if entry is not None and entry.status == "approved" else "unsanctioned"


class Matcher:
    """Compiled once per scan from a catalog and an optional register; ``match`` is cached."""

    def __init__(
        self, catalog: Catalog, register: Register | None = None, psl: PublicSuffixList | None = None
    ) -> None:
        if register is not None:
            register.validate(catalog)
        self.catalog = catalog
        self._apps = catalog.suffixes()
        self._app_rules = register.app_status() if register else {}
        self._domain_rules = register.domain_entries() if register else {}
        self._psl = psl if psl is not None else PublicSuffixList()
        self._cache: dict[str, Match] = {}

    def registrable(self, host: str) -> str:
        """The registrable domain (eTLD+1, private PSL suffixes kept) used to group unknown hosts."""
        if is_ip(host):
            return host
        return self._psl.privatesuffix(host) or host

    def match(self, host: str) -> Match:
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        result = self._match(host)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[host] = result
        return result

    def _match(self, host: str) -> Match:
        app_id: str | None = None
        rule: RegisterEntry | None = None
        suffix = host
        while True:
            if rule is None and self._domain_rules:
                rule = self._domain_rules.get(suffix)
            if app_id is None:
                app_id = self._apps.get(suffix)
            if app_id is not None and (rule is not None or not self._domain_rules):
                break
            dot = suffix.find(".")
            if dot < 0:
                break
            suffix = suffix[dot + 1 :]
        if rule is not None and rule.domain is not None:
            scoped_app = rule.app or app_id
            key = f"{scoped_app or ''}@{rule.domain}"
            return Match(key, scoped_app, rule.domain, None, _status(rule), rule.status)
        if app_id is not None:
            entry = self._app_rules.get(app_id)
            return Match(app_id, app_id, None, None, _status(entry), entry.status if entry else None)
        reg = self.registrable(host)
        return Match(f"?{reg}", None, None, reg, "unknown-domain", None)
