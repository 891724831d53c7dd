"""SSVC prioritisation (CISA decision tree) with EPSS as a tiebreak.

Decision points and where they come from, in order of preference:

* **Exploitation** (none | poc | active): ``active`` when the CVE is in CISA KEV; otherwise the
  CISA ADP (Vulnrichment) value; otherwise ``none``. EPSS is *not* evidence of exploitation.
* **Automatable** (no | yes): ADP value; otherwise derived from CVSS: network attack vector, low
  complexity, no privileges and no user interaction → ``yes``.
* **Technical Impact** (partial | total): ADP value; otherwise CVSS with high confidentiality,
  integrity *and* availability impact → ``total``.
* **Mission & Well-being** (low | medium | high): the organisation's input, per system. Until the
  classification issue lands it is a parameter with default ``medium``;
  :func:`mission_wellbeing_for` derives it from a system's classification when known.

The outcome table is CISA's SSVC tree (decision table "CISA Coordinator" 2.0.3): Track, Track*,
Attend, Act. Findings sort by outcome, then EPSS score, then CVSS base score.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .records import Cvss, EpssScore, KevEntry, SsvcOptions


class Outcome(StrEnum):
    TRACK = "Track"
    TRACK_STAR = "Track*"
    ATTEND = "Attend"
    ACT = "Act"


OUTCOME_RANK = {Outcome.TRACK: 0, Outcome.TRACK_STAR: 1, Outcome.ATTEND: 2, Outcome.ACT: 3}

# (exploitation, automatable, technical impact) → outcome for mission/well-being low, medium, high
_T, _TS, _AT, _AC = Outcome.TRACK, Outcome.TRACK_STAR, Outcome.ATTEND, Outcome.ACT
TABLE: dict[tuple[str, str, str], tuple[Outcome, Outcome, Outcome]] = {
    ("none", "no", "partial"): (_T, _T, _T),
    ("none", "no", "total"): (_T, _T, _TS),
    ("none", "yes", "partial"): (_T, _T, _AT),
    ("none", "yes", "total"): (_T, _T, _AT),
    ("poc", "no", "partial"): (_T, _T, _TS),
    ("poc", "no", "total"): (_T, _TS, _AT),
    ("poc", "yes", "partial"): (_T, _T, _AT),
    ("poc", "yes", "total"): (_T, _TS, _AT),
    ("active", "no", "partial"): (_T, _T, _AT),
    ("active", "no", "total"): (_T, _AT, _AC),
    ("active", "yes", "partial"): (_AT, _AT, _AC),
    ("active", "yes", "total"): (_AT, _AC, _AC),
}
_MWB = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    exploitation: str
    automatable: str
    technical_impact: str
    mission_wellbeing: str
    basis: tuple[str, ...]  # where each input came from, e.g. "exploitation:kev"

    def vector(self) -> str:
        return (f"SSVCv2/E:{self.exploitation[0].upper()}/A:{self.automatable[0].upper()}/"
                f"T:{self.technical_impact[0].upper()}/M:{self.mission_wellbeing[0].upper()}/"
                f"D:{ {'Track': 'T', 'Track*': 'R', 'Attend': 'A', 'Act': 'C'}[self.outcome.value] }/")


def _cvss_fields(cvss: Cvss | None) -> dict[str, str]:
    if cvss is None or not cvss.vector:
        return {}
    out = {}
    for part in cvss.vector.split("/"):
        k, _, v = part.partition(":")
        out[k] = v
    return out


def decide(cvss: Cvss | None, kev: KevEntry | None, adp: SsvcOptions | None,
           mission_wellbeing: str = "medium") -> Decision:
    """The SSVC outcome for one CVE in one mission context."""
    if mission_wellbeing not in _MWB:
        raise ValueError(f"mission_wellbeing must be low, medium or high, not {mission_wellbeing!r}")
    basis = []
    f = _cvss_fields(cvss)
    if kev is not None:
        expl = "active"
        basis.append("exploitation:kev")
    elif adp is not None and adp.exploitation in ("none", "poc", "active"):
        expl = adp.exploitation
        basis.append("exploitation:adp")
    else:
        expl = "none"
        basis.append("exploitation:default")
    if adp is not None and adp.automatable in ("yes", "no"):
        auto = adp.automatable
        basis.append("automatable:adp")
    elif f:
        auto = "yes" if (f.get("AV") == "N" and f.get("AC") == "L" and f.get("PR") == "N"
                         and f.get("UI") in ("N",)) else "no"
        basis.append("automatable:cvss")
    else:
        auto = "no"
        basis.append("automatable:default")
    if adp is not None and adp.technical_impact in ("partial", "total"):
        ti = adp.technical_impact
        basis.append("technical_impact:adp")
    elif f:
        high = [f.get(k) == "H" for k in ("C", "I", "A")] if "C" in f else \
               [f.get(k) == "H" for k in ("VC", "VI", "VA")]
        ti = "total" if all(high) else "partial"
        basis.append("technical_impact:cvss")
    else:
        ti = "partial"
        basis.append("technical_impact:default")
    outcome = TABLE[(expl, auto, ti)][_MWB[mission_wellbeing]]
    return Decision(outcome, expl, auto, ti, mission_wellbeing, tuple(basis))


def priority_key(decision: Decision, epss: EpssScore | None, cvss: Cvss | None) -> tuple[int, float, float]:
    """Sort key, highest priority first when sorted ascending: outcome, then EPSS, then CVSS."""
    return (-OUTCOME_RANK[decision.outcome], -(epss.epss if epss else 0.0), -(cvss.score if cvss else 0.0))


def mission_wellbeing_for(confidentiality: int | None = None, integrity: int | None = None,
                          availability: int | None = None) -> str:
    """Mission & Well-being from a system's 格付 (classification) levels, until the classification
    engine provides it: 機密性3 or 完全性2/可用性2 (要保全/要安定) → high; 機密性2 → medium; else low.
    Unknown → medium (the default)."""
    if confidentiality is None and integrity is None and availability is None:
        return "medium"
    if (confidentiality or 0) >= 3 or (integrity or 0) >= 2 or (availability or 0) >= 2:
        return "high"
    if (confidentiality or 0) >= 2:
        return "medium"
    return "low"
