"""The SaaS app catalog: our own YAML data (``data/saas_apps.yaml``), validated when loaded.

Validation is strict because a wrong catalog gives a wrong report silently: ids unique and
well formed, every category from the file's own controlled list, every domain suffix lower-case,
dotted and claimed by exactly one app, country codes two upper-case letters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kijun.discovery.model import DiscoveryError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Category:
    id: str
    name_ja: str
    name_en: str


@dataclass(frozen=True)
class App:
    """One cloud service. ``ismap`` is a registration number only when confirmed, else ``None``."""

    id: str
    name_ja: str
    name_en: str
    vendor: str
    category: str
    domains: tuple[str, ...]
    hq_country: str | None
    data_locations: tuple[str, ...] | None
    ismap: str | None
    terms_only: bool


@dataclass(frozen=True)
class Catalog:
    """Apps and categories by id. Immutable: build a new one to extend it."""

    apps: Mapping[str, App]
    categories: Mapping[str, Category]

    def get(self, app_id: str) -> App | None:
        return self.apps.get(app_id)

    def suffixes(self) -> dict[str, str]:
        """Domain suffix → app id."""
        return {d: app.id for app in self.apps.values() for d in app.domains}


def _str(entry: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise DiscoveryError(f"{where}: field {key!r} must be a non-empty string")
    return value.strip()


def _countries(value: Any, where: str, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise DiscoveryError(f"{where}: field {key!r} must be a non-empty list of country codes or null")
    for code in value:
        if not isinstance(code, str) or not _COUNTRY.match(code):
            raise DiscoveryError(f"{where}: bad country code {code!r} in {key!r}")
    return tuple(value)


def parse_catalog(doc: Any, source: str = "catalog") -> Catalog:
    """Validate a loaded YAML document and build the catalog; ``DiscoveryError`` names the entry."""
    if not isinstance(doc, dict) or not isinstance(doc.get("apps"), list):
        raise DiscoveryError(f"{source}: expected a mapping with 'categories' and 'apps' lists")
    categories: dict[str, Category] = {}
    for i, raw in enumerate(doc.get("categories") or []):
        where = f"{source}: categories[{i}]"
        if not isinstance(raw, dict):
            raise DiscoveryError(f"{where}: must be a mapping")
        cat = Category(_str(raw, "id", where), _str(raw, "name_ja", where), _str(raw, "name_en", where))
        if cat.id in categories:
            raise DiscoveryError(f"{where}: duplicate category id {cat.id!r}")
        categories[cat.id] = cat
    apps: dict[str, App] = {}
    owner: dict[str, str] = {}
    for i, raw in enumerate(doc["apps"]):
        where = f"{source}: apps[{i}]"
        if not isinstance(raw, dict):
            raise DiscoveryError(f"{where}: must be a mapping")
        app_id = _str(raw, "id", where)
        where = f"{source}: app {app_id!r}"
        if not _ID.match(app_id):
            raise DiscoveryError(f"{where}: id must be lower-case letters, digits and hyphens")
        if app_id in apps:
            raise DiscoveryError(f"{where}: duplicate id")
        name_en = _str(raw, "name_en", where)
        category = _str(raw, "category", where)
        if category not in categories:
            raise DiscoveryError(f"{where}: unknown category {category!r}")
        domains = raw.get("domains")
        if not isinstance(domains, list) or not domains:
            raise DiscoveryError(f"{where}: 'domains' must be a non-empty list")
        for d in domains:
            if not isinstance(d, str) or not _DOMAIN.match(d):
                raise DiscoveryError(f"{where}: bad domain suffix {d!r} (lower-case host name expected)")
            if d in owner:
                raise DiscoveryError(f"{where}: domain {d!r} already claimed by app {owner[d]!r}")
            owner[d] = app_id
        hq = raw.get("hq_country")
        if hq is not None and (not isinstance(hq, str) or not _COUNTRY.match(hq)):
            raise DiscoveryError(f"{where}: bad hq_country {hq!r}")
        ismap = raw.get("ismap")
        if ismap is not None and (not isinstance(ismap, str) or not ismap.strip()):
            raise DiscoveryError(f"{where}: 'ismap' must be a registration number string or null")
        terms_only = raw.get("terms_only", False)
        if not isinstance(terms_only, bool):
            raise DiscoveryError(f"{where}: 'terms_only' must be true or false")
        unknown = set(raw) - {
            "id", "name_ja", "name_en", "vendor", "category", "domains", "hq_country",
            "data_locations", "ismap", "terms_only",
        }  # fmt: skip
        if unknown:
            raise DiscoveryError(f"{where}: unknown fields {sorted(unknown)}")
        apps[app_id] = App(
            id=app_id,
            name_ja=_str(raw, "name_ja", where, default=name_en),
            name_en=name_en,
            vendor=_str(raw, "vendor", where),
            category=category,
            domains=tuple(domains),
            hq_country=hq,
            data_locations=_countries(raw.get("data_locations"), where, "data_locations"),
            ismap=ismap,
            terms_only=terms_only,
        )
    return Catalog(apps, categories)


def load_catalog(path: str | Path | None = None, extra: Iterable[str | Path] = ()) -> Catalog:
    """The shipped catalog, or the one at ``path``; ``extra`` files add apps (same validation)."""
    if path is None:
        text = resources.files("kijun.discovery").joinpath("data/saas_apps.yaml").read_text("utf-8")
        source = "saas_apps.yaml"
    else:
        text = _read_text(Path(path))
        source = str(path)
    doc = _load_yaml(text, source)
    for more in extra:
        add = _load_yaml(_read_text(Path(more)), str(more))
        if not isinstance(add, dict) or not isinstance(add.get("apps"), list):
            raise DiscoveryError(f"{more}: expected a mapping with an 'apps' list")
        if not isinstance(doc, dict) or not isinstance(doc.get("apps"), list):
            raise DiscoveryError(f"{source}: expected a mapping with 'categories' and 'apps' lists")
        doc = {"categories": doc.get("categories"), "apps": [*doc["apps"], *add["apps"]]}
    return parse_catalog(doc, source)


def _read_text(path: Path) -> str:
    """A catalog file as UTF-8 (BOM allowed); unreadable or non-UTF-8 files are a DiscoveryError."""
    try:
        return path.read_text("utf-8-sig")
    except OSError as exc:
        raise DiscoveryError(f"{path}: cannot read catalog: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise DiscoveryError(f"{path}: catalog is not UTF-8 text (byte {exc.start})") from None


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise DiscoveryError(f"{source}: not valid YAML: {exc}") from None
