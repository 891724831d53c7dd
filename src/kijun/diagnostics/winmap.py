"""Windows ``programs`` names/publishers → CPE vendor:product, with a confidence value.

Windows reports free text (``Mozilla Firefox (x64 ja)``, ``7-Zip 23.01 (x64)``, publisher
``Google LLC``), never a CPE, so this mapping is the main source of false negatives and false
positives for client PCs. The shipped table (``data/windows_programs.yaml``) is curated and small;
agencies can pass their own file with the same layout. Unmapped programs are returned to the caller
so they show up in the report as inventory coverage gaps.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .cpe import Cpe, CpeError, make_cpe, parse_cpe
from .records import Mapping

_NAME_NOISE = [
    re.compile(r"[®™©]"),
    re.compile(r"\((?:[^()]*\b(?:x64|x86|64-bit|32-bit|64 bit|32 bit|amd64|arm64|ja|ja-jp|en-us|japanese|"
               r"english|user|machine|remove only|64ビット|32ビット)\b[^()]*)\)"),
    re.compile(r"\b(?:x64|x86|amd64|arm64|64-bit|32-bit|64 bit|32 bit|64ビット|32ビット)\b"),
    re.compile(r"\b(?:ja-jp|en-us|ja|japanese|日本語版?)\b"),
    re.compile(r"\bv?\d+(?:\.\d+)+[a-z]*\b"),  # dotted version numbers (keep bare integers: "7-zip")
    re.compile(r"\s-\s*$"),
]
_PUBLISHER_NOISE = re.compile(
    r"[,.]|\b(?:inc|llc|ltd|co|corp|corporation|gmbh|limited|incorporated|s\.?a|ag|k\.?k|foundation, inc)\b|株式会社|有限会社"
)


def normalise_name(name: str) -> str:
    """Lower-case, NFKC, architecture/language tags and dotted versions removed."""
    s = unicodedata.normalize("NFKC", name).lower()
    for rx in _NAME_NOISE:
        s = rx.sub(" ", s)
    s = re.sub(r"\(\s*\)", " ", s)
    return re.sub(r"\s+", " ", s).strip(" -")


def normalise_publisher(publisher: str) -> str:
    s = unicodedata.normalize("NFKC", publisher).lower()
    s = _PUBLISHER_NOISE.sub(" ", s)
    return re.sub(r"\s+", " ", s).strip()


class MappingError(ValueError):
    """A programs-to-CPE mapping file that cannot be used; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class MappingRule:
    id: str
    pattern: re.Pattern[str]
    publishers: tuple[str, ...]
    vendor: str
    product: str
    confidence: float


@dataclass(frozen=True, slots=True)
class MappingResult:
    cpe: Cpe
    mapping: Mapping


class ProgramMapper:
    """Compiled mapping table; :meth:`map` is pure and cheap (results are not cached globally)."""

    def __init__(self, rules: list[MappingRule]) -> None:
        self.rules = rules

    @classmethod
    def from_yaml(cls, text: str, where: str = "mapping") -> ProgramMapper:
        try:
            doc: Any = yaml.safe_load(text)
        except yaml.YAMLError as ex:
            raise MappingError(f"{where}: not valid YAML: {ex}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            raise MappingError(f"{where}: expected a mapping with an 'entries' list")
        rules = []
        seen: set[str] = set()
        for i, e in enumerate(doc["entries"]):
            if not isinstance(e, dict):
                raise MappingError(f"{where}: entries[{i}]: must be a mapping with id, cpe and pattern")
            pubs_raw = e.get("publishers") or []
            if not isinstance(pubs_raw, list):
                raise MappingError(f"{where}: entries[{i}]: publishers must be a list")
            try:
                rid = str(e["id"])
                vendor, _, product = str(e["cpe"]).partition(":")
                cpe = parse_cpe(f"cpe:2.3:a:{vendor}:{product}:*:*:*:*:*:*:*:*")
                conf = float(e.get("confidence", 0.8))
                rx = re.compile(str(e["pattern"]))
            except KeyError as ex:
                raise MappingError(f"{where}: entries[{i}]: missing {ex}") from ex
            except (TypeError, ValueError, CpeError, re.error, RecursionError) as ex:
                raise MappingError(f"{where}: entries[{i}]: {ex}") from ex
            if rid in seen:
                raise MappingError(f"{where}: duplicate id {rid!r}")
            if not 0.0 < conf <= 1.0:
                raise MappingError(f"{where}: entries[{i}]: confidence must be in (0, 1]")
            seen.add(rid)
            pubs = tuple(normalise_publisher(str(p)) for p in pubs_raw)
            rules.append(MappingRule(rid, rx, pubs, cpe.vendor, cpe.product, conf))
        return cls(rules)

    @classmethod
    def default(cls) -> ProgramMapper:
        text = resources.files("kijun.diagnostics").joinpath("data/windows_programs.yaml").read_text("utf-8")
        return cls.from_yaml(text, "windows_programs.yaml")

    @classmethod
    def from_file(cls, path: str | Path) -> ProgramMapper:
        try:
            text = Path(path).read_text("utf-8-sig")
        except UnicodeDecodeError as ex:
            raise MappingError(f"{path}: not UTF-8 text (byte {ex.start})") from None
        return cls.from_yaml(text, str(path))

    def map(self, name: str, publisher: str, version: str) -> MappingResult | None:
        """The CPE for one program row, or ``None`` when no rule applies."""
        norm = normalise_name(name)
        pub = normalise_publisher(publisher)
        for r in self.rules:
            if not r.pattern.fullmatch(norm):
                continue
            pub_ok = not r.publishers or any(p and (p in pub or pub in p) for p in r.publishers if pub)
            conf = r.confidence if pub_ok else round(r.confidence * 0.75, 3)
            rule = f"{r.id}:{'name+publisher' if pub_ok else 'name-only'}"
            cpe = make_cpe("a", r.vendor, r.product, version or "")
            return MappingResult(cpe, Mapping(rule, conf))
        return None
