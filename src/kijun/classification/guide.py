"""Guided classification: a question tree kept as data, walked by plain answers.

Why a tree as data: the wording is what users argue about, so it must be editable and
reviewable without touching code, and every answer must show the section it rests on.
The tree's main job beyond plain help is to stop over-classification (the 2020 revision
direction, §3(4)②): 機密性3 is reached only through the 秘密文書 question, and a proposed
level higher than the walk's result is reported as a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kijun.classification.datafile import read_yaml, validate
from kijun.classification.levels import Availability, Classification, Confidentiality, Integrity

Aspect = Literal["confidentiality", "integrity", "availability"]
ASPECTS: tuple[Aspect, ...] = ("confidentiality", "integrity", "availability")
_MAX = {"confidentiality": 3, "integrity": 2, "availability": 2}
_YES = {"yes", "y", "true", "はい", "1"}
_NO = {"no", "n", "false", "いいえ", "0"}


class GuideError(ValueError):
    """Invalid tree or invalid answers file."""


class Branch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    set: dict[Aspect, int] = Field(default_factory=dict)
    explain_ja: str
    explain_en: str
    next: str | None = None


class Question(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    section: str
    question_ja: str
    question_en: str
    help_ja: str = ""
    help_en: str = ""
    yes: Branch
    no: Branch


class GuideTree(BaseModel):
    """The validated tree. Use ``load_guide`` to build one from YAML."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    root: str
    questions: dict[str, Question]

    def check(self) -> None:
        """Every path sets each aspect exactly once, within range, with no loops."""
        if self.root not in self.questions:
            raise GuideError(f"root {self.root!r} is not a question")

        def visit(qid: str, done: frozenset[str], path: tuple[str, ...]) -> None:
            if qid in path:
                raise GuideError(f"loop through {qid!r}")
            if qid not in self.questions:
                raise GuideError(f"{path[-1] if path else 'root'} points to unknown question {qid!r}")
            for answer in ("yes", "no"):
                branch: Branch = getattr(self.questions[qid], answer)
                for aspect, level in branch.set.items():
                    if aspect in done:
                        raise GuideError(f"{qid}.{answer} sets {aspect} a second time")
                    if not 1 <= level <= _MAX[aspect]:
                        raise GuideError(f"{qid}.{answer}: {aspect} level {level} out of range")
                now = done | frozenset(branch.set)
                if branch.next is None:
                    if now != frozenset(ASPECTS):
                        raise GuideError(f"{qid}.{answer} ends without setting {sorted(set(ASPECTS) - now)}")
                else:
                    visit(branch.next, now, (*path, qid))

        visit(self.root, frozenset(), ())


@dataclass(frozen=True, slots=True)
class Step:
    """One answered question and what it decided."""

    question_id: str
    question_ja: str
    question_en: str
    answer: bool
    explain_ja: str
    explain_en: str
    section: str
    sets: dict[Aspect, int]


@dataclass(frozen=True, slots=True)
class GuideWarning:
    code: str
    message_ja: str
    message_en: str
    section: str


@dataclass(frozen=True)
class GuideResult:
    """The walk's outcome: complete (``classification`` set) or waiting on ``pending``."""

    steps: tuple[Step, ...]
    classification: Classification | None
    pending: str | None
    warnings: tuple[GuideWarning, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return self.classification is not None


def parse_answer(value: Any, where: str) -> bool:
    """Accept booleans and yes/no words in English or Japanese."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise GuideError(f"{where}: answer must be yes or no, got {value!r}")


def walk(tree: GuideTree, answers: Mapping[str, bool], proposed: Mapping[str, int] | None = None) -> GuideResult:
    """Follow the tree with ``answers``; stop at the first unanswered question."""
    unknown = set(answers) - set(tree.questions)
    if unknown:
        raise GuideError(f"answers name unknown questions: {sorted(unknown)}")
    steps: list[Step] = []
    levels: dict[Aspect, int] = {}
    qid: str | None = tree.root
    pending: str | None = None
    while qid is not None:
        if qid not in answers:
            pending = qid
            break
        q = tree.questions[qid]
        answer = answers[qid]
        branch = q.yes if answer else q.no
        levels.update(branch.set)
        steps.append(Step(qid, q.question_ja, q.question_en, answer, branch.explain_ja, branch.explain_en,
                          q.section, dict(branch.set)))
        qid = branch.next
    warnings: list[GuideWarning] = []
    used = {s.question_id for s in steps}
    for extra in sorted(set(answers) - used):
        warnings.append(GuideWarning("unused_answer", f"回答 {extra} はこの経路では使われません。",
                                     f"Answer {extra} was not needed on this path.", "1.2(1)"))
    classification = None
    if pending is None:
        classification = Classification(
            confidentiality=Confidentiality(levels["confidentiality"]),
            integrity=Integrity(levels["integrity"]),
            availability=Availability(levels["availability"]),
        )
        warnings.extend(_compare(levels, proposed or {}))
    return GuideResult(tuple(steps), classification, pending, tuple(warnings))


def _compare(levels: Mapping[Aspect, int], proposed: Mapping[str, int]) -> list[GuideWarning]:
    out: list[GuideWarning] = []
    for aspect in ASPECTS:
        if aspect not in proposed:
            continue
        want, got = proposed[aspect], levels[aspect]
        if want > got:
            hint_ja = "機密性3は秘密文書（極秘・秘）として扱う情報に限られます。" if aspect == "confidentiality" and want == 3 else ""
            hint_en = (" Class 3 is only for information handled as a secret document (極秘/秘)."
                       if aspect == "confidentiality" and want == 3 else "")
            out.append(GuideWarning(
                "over_classification",
                f"提案された{aspect}={want}は回答から導かれる{got}より高く、過剰な格付のおそれがあります。{hint_ja}",
                f"Proposed {aspect} {want} is higher than the {got} the answers support: likely over-classification.{hint_en}",
                "1.2(1)"))
        elif want < got:
            out.append(GuideWarning(
                "under_classification",
                f"提案された{aspect}={want}は回答から導かれる{got}より低く、必要な対策が漏れるおそれがあります。",
                f"Proposed {aspect} {want} is lower than the {got} the answers support: measures may be missed.",
                "1.2(1)"))
    return out


def _unbool_keys(data: Any) -> Any:
    """YAML 1.1 reads unquoted ``yes:``/``no:`` keys as booleans; agencies edit this file by
    hand, so accept both spellings."""
    if isinstance(data, dict) and isinstance(data.get("questions"), dict):
        for q in data["questions"].values():
            if isinstance(q, dict):
                for flag, word in ((True, "yes"), (False, "no")):
                    if flag in q and word not in q:
                        q[word] = q.pop(flag)
    return data


def guide_from_data(data: Any, source: str = "<data>") -> GuideTree:
    tree = validate(GuideTree, _unbool_keys(data), source, GuideError)
    tree.check()
    return tree


def load_guide(path: Path | None = None) -> GuideTree:
    """The agency's tree from ``path``, or the shipped default."""
    return guide_from_data(*read_yaml(path, "kijun.classification", "data/guide.yaml"))


def answers_from_data(data: Any, source: str) -> tuple[dict[str, bool], dict[str, int]]:
    """Parse an answers document: ``{answers: {qid: yes|no}, proposed: {aspect: level}}``."""
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise GuideError(f"{source}: expected a mapping with an 'answers' mapping")
    answers = {str(k): parse_answer(v, f"{source}: answers.{k}") for k, v in data["answers"].items()}
    proposed_raw = data.get("proposed") or {}
    if not isinstance(proposed_raw, dict):
        raise GuideError(f"{source}: 'proposed' must be a mapping of aspect to level")
    proposed: dict[str, int] = {}
    for key, value in proposed_raw.items():
        if key not in ASPECTS:
            raise GuideError(f"{source}: proposed.{key}: unknown aspect (use {', '.join(ASPECTS)})")
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX[key]:
            raise GuideError(f"{source}: proposed.{key}: level must be 1-{_MAX[key]}")
        proposed[str(key)] = value
    return answers, proposed
