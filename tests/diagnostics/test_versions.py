from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.diagnostics.versions import Scheme, compare_versions, scheme_for_ecosystem, version_key

PITFALLS = [  # (scheme, a, op, b) — every pitfall named in the issue and the research notes
    ("generic", "9.8p1", ">", "9.8"), ("generic", "9.8p1", "<", "9.8.1"), ("generic", "9.8p1", "<", "9.9"),
    ("generic", "9.8p1", "<", "9.8p2"), ("generic", "8.5p1", "<", "8.6"),
    ("generic", "1.0.2zf", ">", "1.0.2"), ("generic", "1.0.2zf", ">", "1.0.2z"), ("generic", "1.0.2zf", "<", "1.0.3"),
    ("generic", "1.0.2k", "<", "1.0.2zf"), ("generic", "1.0.2", "<", "1.0.2a"), ("generic", "1.1.1w", "<", "3.0.0"),
    ("generic", "2.8.123e", ">", "2.8.123"), ("generic", "2.8.123e", "<", "2.8.124"),
    ("generic", "10.0.19045.3570", "<", "10.0.19045.4000"), ("generic", "10.0.19045.3570", ">", "10.0.19045"),
    ("generic", "1.2.3.4.5", "<", "1.2.3.4.6"), ("generic", "3.8.2.0", "==", "3.8.2"),
    ("generic", "11.8", "<", "11.70.2"), ("generic", "2023.01", "<", "2023.10"), ("generic", "2016", "<", "2023.01"),
    ("generic", "20231015", "<", "20240101"), ("generic", "20H2", "<", "21H1"),
    ("generic", "1.0", "==", "1.0.0"), ("generic", "1.0rc1", "<", "1.0"), ("generic", "1.0-beta", "<", "1.0-rc1"),
    ("generic", "1.0alpha", "<", "1.0beta"), ("generic", "1.0b2", "<", "1.0"), ("generic", "1.0.1b", ">", "1.0.1"),
    ("generic", "10.2.9", "<", "10.2.9-h1"), ("generic", "10.2.9-h1", "<", "10.2.10"),
    ("generic", "7.4.3a", ">", "7.4.3"), ("generic", "v1.2", "==", "1.2"), ("generic", "1.2-final", "==", "1.2"),
    ("generic", "2019sp2", ">", "2019sp1"), ("generic", "5.0u1", ">", "5.0"), ("generic", "1.0-dev", "<", "1.0-alpha"),
    ("deb", "3.0.15-1~deb12u1", "<", "3.0.15-1"), ("deb", "1:9.11.5.P4+dfsg-5.1+deb10u1", "<", "1:9.11.5.P4+dfsg-5.1+deb10u2"),
    ("deb", "9.20", "<", "1:9.11.5.P4+dfsg-5.1"), ("deb", "1.0~~", "<", "1.0~"), ("deb", "1.0", "==", "1.0-0"),
    ("deb", "1.0a", ">", "1.0"), ("deb", "1.0+b1", ">", "1.0"), ("deb", "2:1.0", ">", "1:9.9"),
    ("rpm", "2.39.1-1.el8", "<", "2.39.3-1.el8"), ("rpm", "0:2.39.3-1.el8_8", ">", "2.39.3-1.el8"),
    ("rpm", "1.0~rc1", "<", "1.0"), ("rpm", "1.0^git1", ">", "1.0"), ("rpm", "1.0^git1", "<", "1.0.1"),
    ("rpm", "1:1.0-1", ">", "2.0-1"), ("rpm", "1.0a", "<", "1.0.1"), ("rpm", "1.010", "==", "1.10"),
    ("rpm", "1.0", "<", "1.0.0"),
    ("semver", "1.0.0-alpha", "<", "1.0.0-alpha.1"), ("semver", "1.0.0-alpha.1", "<", "1.0.0-alpha.beta"),
    ("semver", "1.0.0-beta.2", "<", "1.0.0-beta.11"), ("semver", "1.0.0-rc.1", "<", "1.0.0"),
    ("semver", "1.0.0+build.1", "==", "1.0.0"), ("semver", "v2.1", "==", "2.1.0"),
    ("pypi", "1.26.4", "<", "1.26.5"), ("pypi", "2.0.0rc1", ">", "1.26.5"), ("pypi", "1.0.post1", ">", "1.0"),
    ("pypi", "1.0.dev1", "<", "1.0a1"), ("pypi", "1!0.1", ">", "2.0"),
]


@pytest.mark.parametrize(("scheme", "a", "op", "b"), PITFALLS)
def test_pitfalls(scheme: str, a: str, op: str, b: str) -> None:
    want = {"<": -1, "==": 0, ">": 1}[op]
    assert compare_versions(scheme, a, b) == want
    assert compare_versions(scheme, b, a) == -want


def test_ecosystem_schemes() -> None:
    assert scheme_for_ecosystem("Debian:12") == Scheme.DEB
    assert scheme_for_ecosystem("Ubuntu:22.04:LTS") == Scheme.DEB
    assert scheme_for_ecosystem("Rocky Linux:8") == Scheme.RPM
    assert scheme_for_ecosystem("PyPI") == Scheme.PYPI
    assert scheme_for_ecosystem("npm") == Scheme.SEMVER
    assert scheme_for_ecosystem("Hex") == Scheme.GENERIC


_vendor = st.from_regex(r"v?[0-9]{1,3}(\.[0-9]{1,4}){0,4}([a-z]{1,2}|p[0-9]|-rc[0-9]|-beta|\.post1|-h[0-9])?", fullmatch=True)
_deb = st.from_regex(r"([0-2]:)?[0-9]{1,2}(\.[0-9]{1,2}){0,2}([a-z~+.][a-z0-9]{0,3})?(-[0-9][a-z0-9.~+]{0,5})?", fullmatch=True)
_rpm = st.from_regex(r"([0-2]:)?[0-9]{1,2}(\.[0-9a-z]{1,3}){0,2}([~^][a-z0-9]{1,3})?(-[0-9]{1,2}(\.el[89](_[0-9])?)?)?", fullmatch=True)
_semver = st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}(-[a-z0-9]{1,4}(\.[a-z0-9]{1,3}){0,2})?", fullmatch=True)
_pypi = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,2}((a|b|rc)[0-9]|\.post[0-9]|\.dev[0-9])?", fullmatch=True)
STRATS = {"generic": _vendor, "deb": _deb, "rpm": _rpm, "semver": _semver, "pypi": _pypi}


@pytest.mark.parametrize("scheme", list(STRATS))
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_total_order(scheme: str, data: st.DataObject) -> None:
    s = STRATS[scheme]
    a, b, c = data.draw(s), data.draw(s), data.draw(s)
    ab, ba = compare_versions(scheme, a, b), compare_versions(scheme, b, a)
    assert ab == -ba  # antisymmetry
    assert compare_versions(scheme, a, a) == 0  # reflexivity
    if ab <= 0 and compare_versions(scheme, b, c) <= 0:
        assert compare_versions(scheme, a, c) <= 0  # transitivity
    ka, kb = version_key(scheme, a), version_key(scheme, b)
    assert (ka < kb) + (ka == kb) + (ka > kb) == 1  # totality


@settings(max_examples=60, deadline=None)
@given(a=_vendor)
def test_generic_post_release_is_between(a: str) -> None:
    """For a plain numeric version X: X < Xp1 < X.1 (post-release sits between) and Xrc1 < X."""
    base = a.lstrip("v").split("-")[0].rstrip("abcdefghijklmnopqrstuvwxyz")
    if not base or not base[-1].isdigit() or ".post" in a:
        return
    assert compare_versions("generic", base, f"{base}p1") == -1
    assert compare_versions("generic", f"{base}p1", f"{base}.1") == -1
    assert compare_versions("generic", f"{base}rc1", base) == -1


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg not installed")
@settings(max_examples=60, deadline=None)
@given(a=_deb, b=_deb)
def test_deb_matches_dpkg(a: str, b: str) -> None:
    """dpkg itself is the oracle for Debian ordering."""
    ours = compare_versions("deb", a, b)
    lt = subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0  # noqa: S603
    eq = subprocess.run(["dpkg", "--compare-versions", a, "eq", b], check=False).returncode == 0  # noqa: S603
    assert ours == (-1 if lt else 0 if eq else 1), (a, b)


@settings(max_examples=150, deadline=None)
@given(a=_rpm, b=_rpm)
def test_rpm_matches_univers(a: str, b: str) -> None:
    """univers' RpmVersion (rpmvercmp port) is a test-only oracle for rpm ordering."""
    versions = pytest.importorskip("univers.versions")
    try:
        ua, ub = versions.RpmVersion(a), versions.RpmVersion(b)
    except Exception:  # noqa: BLE001 - univers rejects some strings rpm accepts
        return
    want = -1 if ua < ub else (0 if ua == ub else 1)
    assert compare_versions("rpm", a, b) == want, (a, b)
