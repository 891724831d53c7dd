"""Operating-system facts (osquery ``os_version``, SBOM OS components) → CPE and OSV ecosystem.

NVD names OS releases in ways a naive mapping misses, and NISTIR matching is strict, so these
rules fill exactly the attributes NVD criteria use:

* Ubuntu ``22.04`` → ``o:canonical:ubuntu_linux:22.04`` with ``sw_edition=lts`` on even-year
  ``.04`` releases (criteria carry ``lts``; an ANY sw_edition would be a SUBSET, i.e. no match);
* Debian 12 → ``o:debian:debian_linux:12.0``; RHEL 8.x → ``o:redhat:enterprise_linux:8.0``;
* Windows builds → the feature-update product (build 19045 → ``windows_10_22h2``) with the full
  four-part version ``10.0.19045.<UBR>`` and ``target_hw`` from the architecture.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cpe import Cpe, make_cpe

_WIN10 = {"10240": "1507", "10586": "1511", "14393": "1607", "15063": "1703", "16299": "1709",
          "17134": "1803", "17763": "1809", "18362": "1903", "18363": "1909", "19041": "2004",
          "19042": "20h2", "19043": "21h1", "19044": "21h2", "19045": "22h2"}
_WIN11 = {"22000": "21h2", "22621": "22h2", "22631": "23h2", "26100": "24h2", "26200": "25h2"}
_WINSRV = {"14393": "2016", "17763": "2019", "20348": "2022", "26100": "2025"}


@dataclass(frozen=True, slots=True)
class OsFacts:
    cpe: Cpe | None
    ecosystem_base: str | None  # OSV ecosystem name: "Debian", "Ubuntu", "Red Hat", ...
    release: str | None  # OSV release suffix: "12", "22.04", "8"
    label: str


def _hw(arch: str) -> str:
    a = arch.lower()
    if "arm" in a or "aarch64" in a:
        return "arm64"
    if "64" in a:
        return "x64"
    if "86" in a or "32" in a:
        return "x86"
    return ""


def _word(text: str) -> str:
    """The first whitespace-separated word of ``text``, or "" (an empty version field)."""
    parts = text.split()
    return parts[0] if parts else ""


def _unknown(name: str) -> OsFacts:
    """An OS whose release cannot be told (empty version fields): no CPE, no ecosystem, just the name."""
    return OsFacts(None, None, None, name)


def os_facts(row: dict[str, str]) -> OsFacts:
    """Map one ``os_version`` row (all values as strings) to a CPE and an OSV ecosystem."""
    name = row.get("name", "")
    platform = (row.get("platform") or row.get("id") or "").lower()
    major = row.get("major", "").strip()
    minor = row.get("minor", "").strip()
    version = row.get("version", "").strip()
    low = name.lower()
    if platform == "ubuntu" or "ubuntu" in low:
        rel = f"{int(major)}.{int(minor or 0):02d}" if major.isdigit() and (minor or "0").isdigit() else _word(version)[:5]
        if not rel:
            return _unknown(name)
        lts = rel.endswith(".04") and rel.split(".")[0].isdigit() and int(rel.split(".")[0]) % 2 == 0
        cpe = make_cpe("o", "canonical", "ubuntu_linux", rel, sw_edition="lts" if lts else "")
        return OsFacts(cpe, "Ubuntu", rel, f"Ubuntu {rel}")
    if platform == "debian" or "debian" in low:
        rel = major or _word(version.split(".")[0])
        if not rel:
            return _unknown(name)
        return OsFacts(make_cpe("o", "debian", "debian_linux", f"{rel}.0"), "Debian", rel, f"Debian {rel}")
    rpm_like = {"rhel": ("redhat", "enterprise_linux", "Red Hat"), "rocky": ("rocky", "rocky_linux", "Rocky Linux"),
                "almalinux": ("almalinux", "almalinux", "AlmaLinux"), "centos": ("centos", "centos", "Red Hat")}
    for key, (vendor, product, eco) in rpm_like.items():
        if platform == key or key in low.replace(" ", "") or (key == "rhel" and "red hat" in low):
            rel = major or _word(version.split(".")[0])
            if not rel:
                return _unknown(name)
            return OsFacts(make_cpe("o", vendor, product, f"{rel}.0"), eco, rel, f"{name} {rel}")
    if platform == "windows" or "windows" in low:
        build = row.get("build", "").strip() or (version.split(".")[2] if version.count(".") >= 2 else "")
        ubr = (row.get("revision") or row.get("patch") or "").strip()
        full = version if version.count(".") >= 3 else (f"{version}.{ubr}" if ubr and ubr != "0" else version)
        hw = _hw(row.get("arch", ""))
        if "server" in low and build in _WINSRV:
            product = f"windows_server_{_WINSRV[build]}"
        elif build in _WIN11 and ("11" in low or int(build) >= 22000):
            product = f"windows_11_{_WIN11[build]}"
        elif build in _WIN10:
            product = f"windows_10_{_WIN10[build]}"
        else:
            return OsFacts(None, None, None, name)
        return OsFacts(make_cpe("o", "microsoft", product, full, target_hw=hw), None, None, f"{name} {full}")
    return OsFacts(None, None, None, name or platform)
