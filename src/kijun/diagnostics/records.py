"""Typed records shared by parsers, matcher and prioritiser.

Every feed record carries a stable ``id``, a ``modified`` timestamp when the source gives one and a
``content_hash``, so a later incremental ``sync`` stores only records whose hash changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cpe import Cpe


@dataclass(frozen=True, slots=True)
class CpeMatch:
    """One NVD ``cpeMatch`` criterion with its (up to four) range bounds."""

    criteria: str
    cpe: Cpe
    vulnerable: bool
    match_id: str
    start_including: str | None = None
    start_excluding: str | None = None
    end_including: str | None = None
    end_excluding: str | None = None

    @property
    def has_range(self) -> bool:
        return any((self.start_including, self.start_excluding, self.end_including, self.end_excluding))

    def range_text(self) -> str:
        parts = []
        if self.start_including:
            parts.append(f">={self.start_including}")
        if self.start_excluding:
            parts.append(f">{self.start_excluding}")
        if self.end_including:
            parts.append(f"<={self.end_including}")
        if self.end_excluding:
            parts.append(f"<{self.end_excluding}")
        return ",".join(parts)


@dataclass(frozen=True, slots=True)
class Node:
    operator: str  # "OR" | "AND"
    negate: bool
    matches: tuple[CpeMatch, ...]


@dataclass(frozen=True, slots=True)
class Configuration:
    operator: str  # "OR" (default) | "AND" (running-on / with)
    negate: bool
    nodes: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Cvss:
    version: str
    score: float
    vector: str
    severity: str


@dataclass(frozen=True, slots=True)
class SsvcOptions:
    """CISA ADP (Vulnrichment) SSVC decision points for one CVE."""

    exploitation: str | None = None  # none | poc | active
    automatable: str | None = None  # no | yes
    technical_impact: str | None = None  # partial | total


@dataclass(frozen=True, slots=True)
class CveRecord:
    id: str
    published: str | None
    modified: str | None
    status: str | None
    description: str
    cvss: Cvss | None
    cwes: tuple[str, ...]
    configurations: tuple[Configuration, ...]
    content_hash: str
    ssvc: SsvcOptions | None = None


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str
    vendor_project: str
    product: str
    name: str
    date_added: str
    due_date: str | None
    ransomware: str  # "Known" | "Unknown"
    content_hash: str


@dataclass(frozen=True, slots=True)
class EpssScore:
    cve: str
    epss: float
    percentile: float


@dataclass(frozen=True, slots=True)
class OsvEvent:
    kind: str  # introduced | fixed | last_affected | limit
    version: str


@dataclass(frozen=True, slots=True)
class OsvRange:
    type: str  # SEMVER | ECOSYSTEM | GIT
    events: tuple[OsvEvent, ...]


@dataclass(frozen=True, slots=True)
class OsvAffected:
    ecosystem: str
    name: str
    purl: str | None
    ranges: tuple[OsvRange, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OsvRecord:
    id: str
    modified: str | None
    withdrawn: str | None
    aliases: tuple[str, ...]
    summary: str
    affected: tuple[OsvAffected, ...]
    content_hash: str

    @property
    def cves(self) -> tuple[str, ...]:
        ids = (self.id, *self.aliases)
        return tuple(i for i in ids if i.startswith("CVE-"))


@dataclass(frozen=True, slots=True)
class VersionRange:
    """An interval of vendor versions; ``None`` bounds are open. ``exact`` pins one version."""

    start: str | None = None
    start_inclusive: bool = True
    end: str | None = None
    end_inclusive: bool = False
    exact: str | None = None

    def text(self) -> str:
        if self.exact is not None:
            return f"=={self.exact}"
        parts = []
        if self.start is not None:
            parts.append((">=" if self.start_inclusive else ">") + self.start)
        if self.end is not None:
            parts.append(("<=" if self.end_inclusive else "<") + self.end)
        return ",".join(parts) or "*"


@dataclass(frozen=True, slots=True)
class JvnAffected:
    vendor: str
    product: str
    cpe: Cpe | None
    version_text: str
    ranges: tuple[VersionRange, ...]
    parsed: bool


@dataclass(frozen=True, slots=True)
class JvnRecord:
    id: str  # JVNDB-YYYY-NNNNNN
    title: str
    cves: tuple[str, ...]
    affected: tuple[JvnAffected, ...]
    cvss: Cvss | None
    published: str | None
    modified: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class Mapping:
    """How a free-text program name became a CPE vendor/product."""

    rule: str
    confidence: float


@dataclass(frozen=True, slots=True)
class InventoryItem:
    """One installed thing on one host, normalised.

    ``cpe`` feeds NVD/JVN matching; ``ecosystem`` + ``package`` feed OSV matching. An item with
    neither is *unmapped* and is reported, never dropped.
    """

    host: str
    source: str
    kind: str  # deb | rpm | pypi | npm | program | os | hardware | cpe | other
    name: str
    version: str
    cpe: Cpe | None = None
    ecosystem: str | None = None
    package: str | None = None
    publisher: str = ""
    mapping: Mapping | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def mapped(self) -> bool:
        return self.cpe is not None or self.ecosystem is not None
