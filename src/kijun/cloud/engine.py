"""The use-decision engine (利用申請 pre-assessment, R7 §4.2).

``assess`` is pure: request, policy, rules, duties, vocabulary, the ISMAP list and the date
all come in as arguments; an ``Assessment`` comes out. The same function serves the CLI,
the web views and the API. One regime covers services on standard terms (約款) and
contracted ones, as the 2020 revision direction asks: the contract basis is one fact among
others, and the information's classification decides the track (4.2.1/4.2.2 or 4.2.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kijun.classification.restrictions import RestrictionVocabulary, load_vocabulary
from kijun.cloud.facts import FactValue, build_facts
from kijun.cloud.ismap import IsmapEntry
from kijun.cloud.lifecycle import Duty, DutySet, applicable_duties, load_duties
from kijun.cloud.policy import UsePolicy, load_policy
from kijun.cloud.request import UseRequest
from kijun.cloud.rules import SEVERITY, Decision, Phase, RuleSet, load_rules

SCHEMA = "kijun.cloud.assessment/v1"
Track = Literal["confidential", "non_confidential"]
TRACK_SECTIONS: dict[str, tuple[str, ...]] = {"confidential": ("4.2.1", "4.2.2"), "non_confidential": ("4.2.3",)}


class Reason(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule: str
    decision: Decision
    cites: tuple[str, ...]
    message_ja: str
    message_en: str


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    phase: Phase
    cites: tuple[str, ...]
    text_ja: str
    text_en: str
    from_rules: tuple[str, ...]


class ServiceSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    provider: str
    contract_basis: str | None
    ismap_kind: str
    ismap_registration_number: str | None
    ismap_expires_on: date | None
    ismap_status: str


class ClassificationSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    confidentiality: int
    integrity: int
    availability: int
    handling_restrictions: tuple[str, ...]
    confidential: bool
    integrity_critical: bool
    availability_critical: bool
    protected: bool


class Assessment(BaseModel):
    """The engine's answer; ``model_dump(mode="json")`` is the documented JSON."""

    model_config = ConfigDict(frozen=True)

    schema_id: str = SCHEMA
    ruleset: str
    as_of: date
    decision: Decision
    track: Track
    track_sections: tuple[str, ...]
    service: ServiceSummary
    classification: ClassificationSummary
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]
    duties: dict[Phase, tuple[Duty, ...]]
    cited_requirements: tuple[str, ...]
    facts: dict[str, FactValue]
    warnings: tuple[str, ...]

    @property
    def matched_rules(self) -> tuple[str, ...]:
        return tuple(r.rule for r in self.reasons)


@dataclass(frozen=True)
class Engine:
    """Loaded data (compile once, evaluate many). ``Engine.default()`` uses the shipped files."""

    rules: RuleSet
    duties: DutySet
    vocabulary: RestrictionVocabulary
    policy: UsePolicy

    @classmethod
    def default(cls, policy: UsePolicy | None = None) -> Engine:
        return cls(load_rules(), load_duties(), load_vocabulary(), policy or load_policy())

    def assess(self, request: UseRequest, as_of: date, listing: Mapping[str, IsmapEntry] | None = None,
               policy: UsePolicy | None = None) -> Assessment:
        return assess(request, as_of=as_of, rules=self.rules, duties=self.duties, vocabulary=self.vocabulary,
                      policy=policy or self.policy, listing=listing)


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


def _id_key(cite: str) -> tuple[tuple[int, int, str], ...]:
    """Document order: 4.2.1(2)(b)(ii) < 4.2.1(2)(b)(iii) < 4.2.1(2)(c) < 4.2.2 < 8.1.1(10)."""
    parts: list[tuple[int, int, str]] = []
    previous_alpha = False
    for token in cite.replace(")", "").replace("(", ".").split("."):
        if token.isdigit():
            parts.append((0, int(token), ""))
            previous_alpha = False
        elif previous_alpha and token in _ROMAN:
            parts.append((1, _ROMAN[token], ""))
        else:
            parts.append((1, 0, token))
            previous_alpha = True
    return tuple(parts)


def assess(request: UseRequest, *, as_of: date, rules: RuleSet, duties: DutySet, vocabulary: RestrictionVocabulary,
           policy: UsePolicy, listing: Mapping[str, IsmapEntry] | None = None) -> Assessment:
    """Assess one use application. Raises ``VocabularyError`` for an unknown restriction label."""
    sheet = build_facts(request, policy, vocabulary, as_of, listing)
    facts = sheet.facts
    matched = [r for r in rules.rules if r.matches(facts)]
    reasons = sorted(
        (Reason(rule=r.id, decision=r.decision, cites=r.cites,
                message_ja=r.reason_ja.format_map(sheet.params), message_en=r.reason_en.format_map(sheet.params))
         for r in matched),
        key=lambda x: -SEVERITY[x.decision])  # stable: rule-file order within one severity
    decision: Decision = max((r.decision for r in matched), key=SEVERITY.__getitem__, default="needs_review")
    by_condition: dict[str, list[str]] = {}
    for r in matched:
        for cid in r.conditions:
            by_condition.setdefault(cid, []).append(r.id)
    conditions = tuple(
        Condition(id=cid, phase=rules.conditions[cid].phase, cites=rules.conditions[cid].cites,
                  text_ja=rules.conditions[cid].text_ja.format_map(sheet.params),
                  text_en=rules.conditions[cid].text_en.format_map(sheet.params), from_rules=tuple(src))
        for cid, src in by_condition.items())
    duty_map = applicable_duties(duties, facts, policy)
    cited = {c for r in reasons for c in r.cites} | {c for cond in conditions for c in cond.cites}
    cited |= {c for ds in duty_map.values() for d in ds for c in d.cites}
    track: Track = "confidential" if facts["confidential"] else "non_confidential"
    cls = sheet.classification
    flags = cls.flags
    svc = request.service
    return Assessment(
        ruleset=rules.version,
        as_of=as_of,
        decision=decision,
        track=track,
        track_sections=TRACK_SECTIONS[track],
        service=ServiceSummary(
            name=svc.name, provider=svc.provider, contract_basis=svc.contract_basis,
            ismap_kind=str(facts["ismap_kind"]),
            ismap_registration_number=(sheet.ismap_entry.registration_number if sheet.ismap_entry
                                       else svc.ismap.registration_number),
            ismap_expires_on=sheet.ismap_entry.expires_on if sheet.ismap_entry else svc.ismap.expires_on,
            ismap_status=str(facts["ismap_status"])),
        classification=ClassificationSummary(
            confidentiality=int(cls.confidentiality), integrity=int(cls.integrity),
            availability=int(cls.availability), handling_restrictions=cls.handling_restrictions,
            confidential=flags.confidential, integrity_critical=flags.integrity_critical,
            availability_critical=flags.availability_critical, protected=flags.protected),
        reasons=tuple(reasons),
        conditions=conditions,
        duties={p: tuple(ds) for p, ds in duty_map.items()},
        cited_requirements=tuple(sorted(cited, key=_id_key)),
        facts=facts,
        warnings=sheet.warnings,
    )
