"""Opt-in upstream CPEs for distribution packages (``--distro-cpe``).

Debian/RPM packages are matched through OSV by default. With this mapping a package whose source
name is listed also gets a CPE built from its *upstream* version (epoch, Debian revision / RPM
release and ``+dfsg``/``~`` suffixes removed), so NVD configurations apply. Backports make this
FP-prone; the engine therefore adds a note to such findings and suppresses them when an OSV
distribution advisory for the same CVE says the installed package is fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from .cpe import Cpe, CpeError, make_cpe, parse_cpe
from .records import Mapping


@dataclass(frozen=True, slots=True)
class DistroRule:
    vendor: str
    product: str
    update: re.Pattern[str] | None


def upstream_version(version: str, kind: str) -> str:
    """``1:8.9p1-3ubuntu0.10`` → ``8.9p1``; ``2.39.3-1.el8`` (rpm) → ``2.39.3``."""
    v = version.split(":", 1)[1] if ":" in version.split("-", 1)[0] else version
    if "-" in v:
        v = v.rsplit("-", 1)[0]
    return re.split(r"[+~]", v, maxsplit=1)[0]


class DistroMapper:
    def __init__(self, rules: dict[str, DistroRule], confidence: float) -> None:
        self.rules = rules
        self.confidence = confidence

    @classmethod
    def from_yaml(cls, text: str, where: str = "distro mapping") -> DistroMapper:
        doc: Any = yaml.safe_load(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), dict):
            raise ValueError(f"{where}: expected a mapping with an 'entries' table")
        rules = {}
        for name, e in doc["entries"].items():
            try:
                vendor, _, product = str(e["cpe"]).partition(":")
                cpe = parse_cpe(f"cpe:2.3:a:{vendor}:{product}:*:*:*:*:*:*:*:*")
                upd = re.compile(str(e["update"])) if e.get("update") else None
            except (KeyError, CpeError, re.error) as ex:
                raise ValueError(f"{where}: entries.{name}: {ex}") from ex
            rules[str(name)] = DistroRule(cpe.vendor, cpe.product, upd)
        return cls(rules, float(doc.get("confidence", 0.7)))

    @classmethod
    def default(cls) -> DistroMapper:
        text = resources.files("kijun.diagnostics").joinpath("data/distro_packages.yaml").read_text("utf-8")
        return cls.from_yaml(text, "distro_packages.yaml")

    def map(self, package: str, version: str, kind: str) -> tuple[Cpe, Mapping] | None:
        rule = self.rules.get(package)
        if rule is None or not version:
            return None
        up = upstream_version(version, kind)
        update = ""
        if rule.update is not None:
            m = re.search(rf"({rule.update.pattern})$", up)
            if m:
                up, update = up[: m.start()], m.group(1)
        return make_cpe("a", rule.vendor, rule.product, up, update=update), Mapping(f"distro:{package}", self.confidence)
