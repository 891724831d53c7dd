"""The register of sanctioned services, read from a documented YAML or CSV file.

Until the cloud-service register export exists this file is the organisation's statement of which
services are approved, prohibited or under review. An entry names a catalog app (``app``), a
domain suffix (``domain``; e.g. the agency's own tenant ``agency.cybozu.com``), or both.
Domain entries are matched by longest suffix and win over app entries, so the agency's tenant can
be approved while every other tenant of the same service stays unsanctioned.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from kijun.discovery.catalog import Catalog
from kijun.discovery.model import DiscoveryError

RegisterStatus = Literal["approved", "prohibited", "under_review"]
_STATUS: dict[str, RegisterStatus] = {
    "approved": "approved",
    "sanctioned": "approved",
    "許可": "approved",
    "承認": "approved",
    "prohibited": "prohibited",
    "blocked": "prohibited",
    "禁止": "prohibited",
    "under_review": "under_review",
    "under review": "under_review",
    "review": "under_review",
    "審査中": "under_review",
}


@dataclass(frozen=True)
class RegisterEntry:
    app: str | None
    domain: str | None
    status: RegisterStatus
    name: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Register:
    entries: tuple[RegisterEntry, ...]
    source: str = "<register>"

    def app_status(self) -> dict[str, RegisterEntry]:
        """App-wide entries (no domain) by app id."""
        return {e.app: e for e in self.entries if e.app and not e.domain}

    def domain_entries(self) -> dict[str, RegisterEntry]:
        """Domain-scoped entries by domain suffix."""
        return {e.domain: e for e in self.entries if e.domain}

    def validate(self, catalog: Catalog) -> None:
        """Every app id must exist in the catalog (a typo would silently leave an app unsanctioned)."""
        for e in self.entries:
            if e.app and catalog.get(e.app) is None:
                raise DiscoveryError(
                    f"{self.source}: unknown app id {e.app!r} (see `kijun discover apps list`)"
                )


def _entry(raw: dict[str, Any], where: str) -> RegisterEntry:
    def text(key: str) -> str | None:
        v = raw.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return str(v).strip()

    app, domain = text("app"), text("domain")
    if domain:
        domain = domain.lower().rstrip(".")
        if domain.startswith("*."):
            domain = domain[2:]
        if "/" in domain or " " in domain or "." not in domain:
            raise DiscoveryError(
                f"{where}: bad domain {domain!r} (a host name suffix like agency.cybozu.com)"
            )
    if not app and not domain:
        raise DiscoveryError(f"{where}: give 'app' (catalog id), 'domain', or both")
    raw_status = (text("status") or "").lower()
    status = _STATUS.get(raw_status)
    if status is None:
        raise DiscoveryError(f"{where}: status {raw_status!r} is not approved, prohibited or under_review")
    return RegisterEntry(app, domain, status, text("name"), text("note"))


def parse_register(text: str, source: str = "<register>", kind: str | None = None) -> Register:
    """Parse register text; ``kind`` is ``yaml`` or ``csv`` (guessed from the content when None)."""
    text = text.lstrip("\ufeff")
    if kind is None:
        first = text.lstrip().split("\n", 1)[0].lower()
        kind = "csv" if "status" in first and "," in first and ":" not in first else "yaml"
    entries: list[RegisterEntry] = []
    if kind == "csv":
        # newline="": the csv module does its own line splitting, so CR, LF and CRLF all end a row
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            if reader.fieldnames is None or "status" not in [f.strip().lower() for f in reader.fieldnames]:
                raise DiscoveryError(f"{source}: CSV register needs a header with app, domain, status columns")
            for row in reader:
                clean = {(k or "").strip().lower(): v for k, v in row.items()}
                if not any((v or "").strip() for v in clean.values() if isinstance(v, str)):
                    continue
                entries.append(_entry(clean, f"{source}:{reader.line_num}"))
        except csv.Error as exc:
            raise DiscoveryError(f"{source}:{reader.line_num}: not valid CSV: {exc}") from None
    else:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DiscoveryError(f"{source}: not valid YAML: {exc}") from None
        items = doc.get("services") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise DiscoveryError(f"{source}: expected a 'services' list")
        for i, raw in enumerate(items):
            if not isinstance(raw, dict):
                raise DiscoveryError(f"{source}: services[{i}] must be a mapping")
            entries.append(_entry(raw, f"{source}: services[{i}]"))
    seen: set[tuple[str | None, str | None]] = set()
    for e in entries:
        key = (e.app if not e.domain else None, e.domain)
        if key in seen:
            raise DiscoveryError(f"{source}: duplicate entry for {e.domain or e.app!r}")
        seen.add(key)
    return Register(tuple(entries), source)


def load_register(path: str | Path) -> Register:
    """Read a register file (UTF-8 with or without BOM, or CP932)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DiscoveryError(f"{p}: cannot read register: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp932", errors="replace")
    kind = (
        "csv"
        if p.suffix.lower() in (".csv", ".txt")
        else "yaml"
        if p.suffix.lower() in (".yaml", ".yml")
        else None
    )
    return parse_register(text, str(p), kind)
