"""Every golden case in tests/cases/diagnostics/*.yaml must hold."""

from __future__ import annotations

import pytest

from kijun.diagnostics.versions import compare_versions

from .golden import Case, load_cases, run_case

CASES = load_cases()


def test_enough_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    s = case.spec
    if "compare" in s:
        c = s["compare"]
        got = compare_versions(c["scheme"], str(c["a"]), str(c["b"]))
        want = {"<": -1, "==": 0, ">": 1}[c["op"]]
        assert got == want, f"{case.note}: {c['a']} {c['op']} {c['b']} under {c['scheme']} (got {got})"
        return
    res = run_case(case)
    exp = s["expect"]
    want = {(str(f.get("host", "h1")), f["vuln_id"]) for f in exp.get("findings", [])}
    got = {(f.host, f.vuln_id) for f in res.findings}
    assert got == want, f"{case.note}\n got {sorted(got)}\nwant {sorted(want)}"
    by_key = {(f.host, f.vuln_id): f for f in res.findings}
    for f in exp.get("findings", []):
        real = by_key[(str(f.get("host", "h1")), f["vuln_id"])]
        if "source" in f:
            assert f["source"] in real.sources, case.note
        if "outcome" in f:
            assert real.decision.outcome.value == f["outcome"], f"{case.note}: {real.decision}"
        if "kev_due" in f:
            assert real.kev is not None and real.kev.due_date == f["kev_due"], case.note
        if "confidence" in f:
            m = real.item.mapping
            assert m is not None and m.confidence == pytest.approx(f["confidence"]), case.note
        if "running_on" in f:
            assert real.reason["nvd"].get("running_on") == f["running_on"], case.note  # type: ignore[union-attr]
        if "jvn" in f:
            assert list(real.jvn_ids) == f["jvn"], case.note
    if "order" in exp:
        assert [f.vuln_id for f in res.findings] == exp["order"], case.note
    if "suppressed" in exp:
        assert sorted(x.cve for x in res.suppressed) == sorted(exp["suppressed"]), case.note
    if "unmapped" in exp:
        assert sorted(i.name for i in res.inventory.unmapped) == sorted(exp["unmapped"]), case.note
