"""``kijun classify``: levels, derived flags, the guided helper and system classes."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kijun.classification.clikit import emit, fail, guarded
from kijun.classification.guide import GuideResult, answers_from_data, load_guide, walk
from kijun.classification.levels import LEVELS, derive_flags
from kijun.classification.restrictions import load_vocabulary
from kijun.classification.system_class import (
    IMPACT_ORDER,
    SystemProfile,
    classify_system,
    load_standard,
)
from kijun.classification.textio import read_text

app = typer.Typer(help="情報の格付と取扱制限 (R7 §1.2) / information classification.", no_args_is_help=True)

@app.command()
def levels(as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False) -> None:
    """List the classification levels and handling restrictions."""
    vocab = guarded(lambda: load_vocabulary(None))
    if as_json:
        emit({"levels": [asdict(lv) for lv in LEVELS],
               "handling_restrictions": [r.model_dump() for r in vocab.items]})
        return
    for lv in LEVELS:
        typer.echo(f"{lv.name_ja:<10} {lv.name_en:<26} {lv.summary_ja}")
    typer.echo("")
    for r in vocab.items:
        kind = "standard" if r.standard else "agency"
        typer.echo(f"{r.name_ja:<8} {r.code:<22} {kind:<8} {r.name_en}")


@app.command()
def derive(
    c: Annotated[int, typer.Option("--c", help="機密性 1-3")],
    i: Annotated[int, typer.Option("--i", help="完全性 1-2")],
    a: Annotated[int, typer.Option("--a", help="可用性 1-2")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compute 要機密/要保全/要安定/要保護 from the three levels."""
    flags = guarded(lambda: derive_flags(c, i, a))
    doc = {"confidentiality": c, "integrity": i, "availability": a, **asdict(flags),
           "labels_ja": flags.labels_ja(), "section": "1.2(1)"}
    if as_json:
        emit(doc)
        return
    typer.echo(f"C{c}/I{i}/A{a}: {'・'.join(flags.labels_ja()) or '（要保護情報に該当しない）'}")


def _guide_doc(result: GuideResult) -> dict[str, Any]:
    cls = result.classification
    return {
        "complete": result.complete,
        "pending": result.pending,
        "classification": None if cls is None else {
            "confidentiality": int(cls.confidentiality), "integrity": int(cls.integrity),
            "availability": int(cls.availability), **asdict(cls.flags)},
        "steps": [asdict(s) for s in result.steps],
        "warnings": [asdict(w) for w in result.warnings],
    }


@app.command()
def guide(
    answers: Annotated[Path, typer.Option("--answers", help="YAML: {answers: {question_id: yes|no}, proposed: {...}}")],
    tree: Annotated[Path | None, typer.Option("--tree", help="agency question tree (default: shipped)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Walk the classification questions with a file of answers and explain the result."""

    def run() -> GuideResult:
        t = load_guide(tree)
        parsed, proposed = answers_from_data(yaml.safe_load(read_text(answers)), str(answers))
        return walk(t, parsed, proposed)

    result = guarded(run)
    if as_json:
        emit(_guide_doc(result))
        return
    for s in result.steps:
        typer.echo(f"[{s.section}] {s.question_ja} → {'はい' if s.answer else 'いいえ'}: {s.explain_ja}")
    if result.classification is None:
        q = load_guide(tree).questions[result.pending or ""]
        typer.echo(f"次の質問 ({result.pending}): {q.question_ja}")
    else:
        typer.echo(f"格付: {result.classification.short}  {'・'.join(result.classification.flags.labels_ja())}")
    for w in result.warnings:
        typer.echo(f"警告: {w.message_ja}", err=True)


@app.command("system-class")
def system_class(
    c: Annotated[int, typer.Option("--c", help="highest 機密性 handled")],
    i: Annotated[int, typer.Option("--i")],
    a: Annotated[int, typer.Option("--a")],
    impact: Annotated[str, typer.Option("--impact", help="business impact: low|medium|high")] = "low",
    internet_facing: Annotated[bool, typer.Option("--internet-facing")] = False,
    citizen_facing: Annotated[bool, typer.Option("--citizen-facing")] = False,
    standard: Annotated[Path | None, typer.Option("--standard", help="agency standard YAML")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Classify an information system by the agency's standard (R7 §5.1)."""
    if impact not in IMPACT_ORDER:
        fail(f"--impact must be one of {', '.join(IMPACT_ORDER)}")

    def run() -> dict[str, Any]:
        std = load_standard(standard)
        profile = SystemProfile.model_validate({
            "information": [{"confidentiality": c, "integrity": i, "availability": a}],
            "business_impact": impact, "internet_facing": internet_facing, "citizen_facing": citizen_facing})
        res = classify_system(std, profile)
        return {"class_id": res.class_id, "name_ja": res.name_ja, "name_en": res.name_en,
                "matched": res.matched, "highest": res.highest.short, "cites": list(res.cites)}

    doc = guarded(run)
    if as_json:
        emit(doc)
    else:
        typer.echo(f"{doc['class_id']}: {doc['name_ja']} ({doc['matched']})")
