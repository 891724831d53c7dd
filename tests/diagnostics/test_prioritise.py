from __future__ import annotations

import itertools

import pytest

from kijun.diagnostics.prioritise import OUTCOME_RANK, TABLE, Outcome, decide, mission_wellbeing_for
from kijun.diagnostics.records import Cvss, KevEntry, SsvcOptions


def test_table_complete() -> None:
    keys = set(itertools.product(("none", "poc", "active"), ("no", "yes"), ("partial", "total")))
    assert set(TABLE) == keys


def test_monotonic() -> None:
    """More exploitation, automation, impact or mission never lowers the outcome."""
    order = {"none": 0, "poc": 1, "active": 2, "no": 0, "yes": 1, "partial": 0, "total": 1}
    for (e1, a1, t1), outs1 in TABLE.items():
        for (e2, a2, t2), outs2 in TABLE.items():
            if order[e1] <= order[e2] and order[a1] <= order[a2] and order[t1] <= order[t2]:
                for m in range(3):
                    assert OUTCOME_RANK[outs1[m]] <= OUTCOME_RANK[outs2[m]]
        assert [OUTCOME_RANK[o] for o in outs1] == sorted(OUTCOME_RANK[o] for o in outs1)


def test_kev_and_cvss_derivation() -> None:
    kev = KevEntry("CVE-1", "v", "p", "n", "2024-01-01", "2024-01-22", "Known", "h")
    cvss = Cvss("3.1", 9.8, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CRITICAL")
    d = decide(cvss, kev, None, "medium")
    assert (d.exploitation, d.automatable, d.technical_impact, d.outcome) == ("active", "yes", "total", Outcome.ACT)
    assert d.vector() == "SSVCv2/E:A/A:Y/T:T/M:M/D:C/"
    d = decide(cvss, None, SsvcOptions("poc", "no", "partial"), "low")
    assert d.outcome == Outcome.TRACK and "exploitation:adp" in d.basis
    v4 = Cvss("4.0", 9.3, "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CRITICAL")
    assert decide(v4, None, None).technical_impact == "total"
    assert decide(None, None, None).basis[-1] == "technical_impact:default"
    with pytest.raises(ValueError, match="mission"):
        decide(None, None, None, "extreme")


def test_mission_from_classification() -> None:
    assert mission_wellbeing_for() == "medium"
    assert mission_wellbeing_for(confidentiality=3) == "high"
    assert mission_wellbeing_for(confidentiality=2, integrity=1, availability=1) == "medium"
    assert mission_wellbeing_for(confidentiality=1, integrity=1, availability=1) == "low"
