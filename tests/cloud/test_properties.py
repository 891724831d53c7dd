"""Properties of the engine and the importer over generated inputs (bounded examples)."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.cloud.engine import Engine
from kijun.cloud.ismap import IsmapFormatError, parse_csv_bytes
from kijun.cloud.request import UseRequest
from kijun.cloud.rules import SEVERITY

ENGINE = Engine.default()
AS_OF = date(2025, 7, 1)
LABELS = ["複製禁止", "持出禁止", "配付禁止", "暗号化必須", "読後廃棄", "関係者限り", "削除禁止"]

maybe_bool = st.sampled_from([True, False, None])
services = st.fixed_dictionaries({
    "name": st.just("S"),
    "contract_basis": st.sampled_from(["terms_of_service", "negotiated", None]),
    "service_model": st.sampled_from(["iaas", "paas", "saas", "unknown"]),
    "ismap": st.fixed_dictionaries({
        "kind": st.sampled_from(["ismap", "ismap_liu", "none"]),
        "registration_number": st.just("X99-0001-1"),
        "expires_on": st.sampled_from([None, date(2025, 1, 1), date(2025, 8, 1), date(2027, 1, 1)])}),
    "data_locations": st.lists(st.sampled_from(["JP", "US", "SG"]), max_size=2),
    "region_selectable": maybe_bool, "governing_law": st.sampled_from(["JP", "US", None]),
    "jurisdiction": st.sampled_from(["JP", "US", None]), "provider_auditable": maybe_bool,
    "encryption_at_rest": maybe_bool, "sla_availability": st.sampled_from([None, 99.0, 99.99]),
    "backup": maybe_bool, "data_deletion_on_exit": maybe_bool,
    "register_status": st.sampled_from([None, "approved", "prohibited"]),
})
tasks = st.fixed_dictionaries({
    "impact": st.sampled_from(["low", "medium", "high", None]), "liu_target_task": maybe_bool,
    "external_sharing": st.booleans()})
levels = st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(1, 2))


def _req(service: dict[str, Any], task: dict[str, Any], lv: tuple[int, int, int], labels: list[str]) -> UseRequest:
    c, i, a = lv
    return UseRequest.model_validate({"service": service, "task": task, "information": [
        {"confidentiality": c, "integrity": i, "availability": a, "handling_restrictions": labels}]})


@settings(max_examples=150, deadline=None)
@given(services, tasks, levels, st.lists(st.sampled_from(LABELS), max_size=3, unique=True), st.sampled_from(LABELS))
def test_more_restrictions_never_relax_the_decision(service: dict[str, Any], task: dict[str, Any],
                                                    lv: tuple[int, int, int], labels: list[str], extra: str) -> None:
    before = ENGINE.assess(_req(service, task, lv, labels), as_of=AS_OF)
    after = ENGINE.assess(_req(service, task, lv, [*labels, extra]), as_of=AS_OF)
    assert SEVERITY[after.decision] >= SEVERITY[before.decision]
    assert set(before.matched_rules) <= set(after.matched_rules)


@settings(max_examples=150, deadline=None)
@given(services, tasks, levels)
def test_decision_is_the_most_severe_reason_and_every_reason_is_cited(
        service: dict[str, Any], task: dict[str, Any], lv: tuple[int, int, int]) -> None:
    result = ENGINE.assess(_req(service, task, lv, []), as_of=AS_OF)
    assert result.decision == max((r.decision for r in result.reasons), key=SEVERITY.__getitem__)
    assert all(r.cites for r in result.reasons) and all(c.cites for c in result.conditions)
    # exactly one track rule, matching the track
    track_rules = [r for r in result.matched_rules if r.startswith("track_")]
    assert track_rules == [f"track_{result.track}"]
    assert result.track == ("confidential" if lv[0] >= 2 else "non_confidential")
    assert result.duties["end_of_use"], "every use ends with disposal duties"
    for text in [r.message_en for r in result.reasons] + [c.text_en for c in result.conditions]:
        assert "{" not in text


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=8), max_size=8), st.booleans())
def test_importer_never_crashes_on_arbitrary_tables(rows: list[list[str]], with_header: bool) -> None:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    if with_header:
        writer.writerow(["登録番号", "サービス名称", "有効期限"])
    writer.writerows(rows)
    try:
        imp = parse_csv_bytes(buf.getvalue().encode("utf-8"))
    except IsmapFormatError:
        assert not with_header
        return
    for entry in imp.entries:
        assert entry.registration_number and entry.service_name
    assert len(imp.entries) + len({e.row for e in imp.errors}) <= len(rows) + 1
