"""OSV ecosystem matching (deb/rpm/PyPI/npm/...) and JVN-only domestic product matching.

OSV covers what NVD's CPE configurations miss (NVD's backlog has no configurations) and, for
distribution packages, knows the distribution's own fixed version (backports), so it can also
*refute* an upstream NVD match: see :meth:`OsvIndex.verdict`.

Range semantics follow the OSV schema: events are sorted by version; ``introduced`` opens,
``fixed`` closes (fixed version not affected), ``last_affected`` closes after itself, ``limit``
caps. ``versions[]`` lists explicitly affected versions. ``GIT`` ranges are ignored (no commits in
an inventory).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .cpe import ANY, NA, Cpe
from .records import InventoryItem, JvnAffected, JvnRecord, OsvAffected, OsvRecord, VersionRange
from .versions import Scheme, VersionKey, generic_key, scheme_for_ecosystem, version_key

_ZERO = "0"


def _eco(ecosystem: str) -> tuple[str, str | None]:
    """("ubuntu", "22.04") from "Ubuntu:22.04:LTS" / "Ubuntu:Pro:22.04:LTS"; release None if absent."""
    parts = ecosystem.split(":")
    base = parts[0].strip().lower()
    rel = next((p for p in parts[1:] if any(ch.isdigit() for ch in p)), None)
    return base, rel


def _norm_pkg(base: str, name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-") if base == "pypi" else name


def _affected_by_ranges(a: OsvAffected, scheme: Scheme, key: VersionKey, raw: str) -> str | None:
    """The range text that makes ``raw`` affected, or None."""
    if raw in a.versions:
        return f"version {raw} listed"
    for r in a.ranges:
        if r.type == "GIT":
            continue
        ev = sorted(
            r.events, key=lambda e: (0, ()) if e.version == _ZERO and e.kind == "introduced" else (1, version_key(scheme, e.version))
        )
        affected = False
        intro = fixed = ""
        for e in ev:
            if e.kind == "introduced":
                if e.version == _ZERO or key >= version_key(scheme, e.version):
                    affected, intro = True, e.version
            elif e.kind == "fixed":
                if key >= version_key(scheme, e.version):
                    affected = False
                else:
                    fixed = fixed or e.version
            elif e.kind == "last_affected":
                if key > version_key(scheme, e.version):
                    affected = False
                else:
                    fixed = fixed or f"<={e.version}"
            elif e.kind == "limit" and key >= version_key(scheme, e.version):
                affected = False
        if affected:
            return f"introduced {intro}" + (f", fixed {fixed}" if fixed else "")
    return None


@dataclass(frozen=True, slots=True)
class OsvMatch:
    item: InventoryItem
    record: OsvRecord
    reason: str


class OsvIndex:
    """OSV records indexed by (ecosystem base, package)."""

    def __init__(self, records: Iterable[OsvRecord]) -> None:
        self.by_pkg: dict[tuple[str, str], list[tuple[OsvRecord, OsvAffected]]] = defaultdict(list)
        for rec in records:
            if rec.withdrawn:
                continue
            for a in rec.affected:
                base, _ = _eco(a.ecosystem)
                self.by_pkg[(base, _norm_pkg(base, a.name))].append((rec, a))

    def _candidates(self, item: InventoryItem) -> list[tuple[OsvRecord, OsvAffected]]:
        if item.ecosystem is None or item.package is None:
            return []
        base, rel = _eco(item.ecosystem)
        out = []
        for rec, a in self.by_pkg.get((base, _norm_pkg(base, item.package)), []):
            _, arel = _eco(a.ecosystem)
            if rel is not None and arel is not None and rel != arel:
                continue  # a different distribution release has different fixed versions
            out.append((rec, a))
        return out

    def match(self, item: InventoryItem) -> list[OsvMatch]:
        out = []
        for rec, a in self._candidates(item):
            scheme = scheme_for_ecosystem(a.ecosystem)
            why = _affected_by_ranges(a, scheme, version_key(scheme, item.version), item.version)
            if why is not None:
                out.append(OsvMatch(item, rec, f"{a.ecosystem}/{a.name} {why}"))
        return out

    def verdict(self, item: InventoryItem, cve: str) -> bool | None:
        """Distribution verdict for ``cve`` on ``item``: True affected, False fixed, None unknown."""
        found = None
        for rec, a in self._candidates(item):
            if cve not in rec.cves:
                continue
            scheme = scheme_for_ecosystem(a.ecosystem)
            if _affected_by_ranges(a, scheme, version_key(scheme, item.version), item.version) is not None:
                return True
            found = False
        return found


# ---------------------------------------------------------------------------------- JVN
@dataclass(frozen=True, slots=True)
class JvnMatch:
    item: InventoryItem
    record: JvnRecord
    affected: JvnAffected
    range: VersionRange


def in_version_range(r: VersionRange, version: str) -> bool:
    k = generic_key(version)
    if r.exact is not None:
        return k == generic_key(r.exact)
    if r.start is not None:
        s = generic_key(r.start)
        if k < s or (k == s and not r.start_inclusive):
            return False
    if r.end is not None:
        e = generic_key(r.end)
        if k > e or (k == e and not r.end_inclusive):
            return False
    return True


def match_jvn_only(records: Iterable[JvnRecord], items: Iterable[InventoryItem],
                   nvd_covered: set[str]) -> list[JvnMatch]:
    """Match JVN records none of whose CVEs NVD covers with configurations (domestic products).

    Items match on CPE vendor and product (JVN's 2.2 CPE has no version) and the version parsed
    from the Japanese ``VersionNumber`` text.
    """
    by_vp: dict[tuple[str, str], list[InventoryItem]] = defaultdict(list)
    for it in items:
        if it.cpe is not None:
            by_vp[(it.cpe.vendor, it.cpe.product)].append(it)
    out = []
    for rec in records:
        if rec.cves and all(c in nvd_covered for c in rec.cves):
            continue
        for a in rec.affected:
            cpe: Cpe | None = a.cpe
            if cpe is None or not a.parsed:
                continue
            for it in by_vp.get((cpe.vendor, cpe.product), []):
                assert it.cpe is not None
                v = it.cpe.version if it.cpe.version not in (ANY, NA) else it.version
                if not v:
                    continue
                hit = next((r for r in a.ranges if in_version_range(r, v)), None)
                if hit is not None:
                    out.append(JvnMatch(it, rec, a, hit))
    return out
