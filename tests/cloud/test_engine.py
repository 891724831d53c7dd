from __future__ import annotations

import copy
import json
from datetime import date
from importlib import resources
from typing import Any

import pytest
import yaml

from kijun.classification.restrictions import VocabularyError
from kijun.cloud.engine import Engine, _id_key
from kijun.cloud.facts import FACT_VALUES
from kijun.cloud.policy import PolicyError, load_policy, policy_from_data
from kijun.cloud.request import UseRequest
from kijun.cloud.rules import RuleError, load_rules, rules_from_data, when_matches

ENGINE = Engine.default()
AS_OF = date(2025, 7, 1)


def _request(**service: Any) -> UseRequest:
    base: dict[str, Any] = {
        "name": "Synthetic", "contract_basis": "negotiated",
        "ismap": {"kind": "ismap", "registration_number": "X99-0001-1", "expires_on": "2026-12-31"},
        "data_locations": ["jp"], "governing_law": "jp", "jurisdiction": "JP", "data_deletion_on_exit": True}
    base.update(service)
    return UseRequest.model_validate({"service": base, "information": [{"confidentiality": 2, "integrity": 1,
                                                                         "availability": 1}]})


def test_assessment_json_shape_is_stable() -> None:
    doc = json.loads(json.dumps(ENGINE.assess(_request(), as_of=AS_OF).model_dump(mode="json")))
    assert list(doc) == ["schema_id", "ruleset", "as_of", "decision", "track", "track_sections", "service",
                         "classification", "reasons", "conditions", "duties", "cited_requirements", "facts", "warnings"]
    assert doc["schema_id"] == "kijun.cloud.assessment/v1"
    assert list(doc["duties"]) == ["planning", "procurement", "construction", "operation", "end_of_use"]
    assert set(doc["reasons"][0]) == {"rule", "decision", "cites", "message_ja", "message_en"}
    assert doc["classification"]["confidential"] is True
    assert doc["facts"]["location_status"] == "in_policy"  # lower-case input normalised


def test_placeholders_are_filled() -> None:
    result = ENGINE.assess(_request(data_locations=["JP", "SG"], region_selectable=True), as_of=AS_OF)
    (cond,) = [c for c in result.conditions if c.id == "pin_region"]
    assert "JP, SG" in cond.text_en and "{" not in cond.text_en and "JP" in cond.text_ja
    exp = ENGINE.assess(_request(ismap={"kind": "ismap", "registration_number": "X99-0001-1",
                                        "expires_on": "2025-03-31"}), as_of=AS_OF)
    assert "X99-0001-1" in exp.reasons[0].message_en and "2025-03-31" in exp.reasons[0].message_ja


def test_cited_requirements_are_in_document_order() -> None:
    cited = ENGINE.assess(_request(), as_of=AS_OF).cited_requirements
    order = ["4.2.1(2)(a)", "4.2.1(2)(b)(i)", "4.2.1(2)(b)(iii)", "4.2.1(2)(c)", "4.2.2(3)(c)(iii)",
             "4.2.2(4)(a)", "8.1.1(3)(h)"]
    assert [c for c in cited if c in order] == order
    assert len(set(cited)) == len(cited)
    assert _id_key("8.1.1(10)(a)") > _id_key("8.1.1(3)(h)")
    assert _id_key("4.2.1(1)(a)(ix)") > _id_key("4.2.1(1)(a)(v)")
    assert _id_key("4.2.1") < _id_key("4.2.1(1)")


def test_unknown_restriction_label_is_an_error() -> None:
    req = UseRequest.model_validate({"service": {"name": "S"}, "information": [
        {"confidentiality": 1, "integrity": 1, "availability": 1, "handling_restrictions": ["社外秘"]}]})
    with pytest.raises(VocabularyError, match="社外秘"):
        ENGINE.assess(req, as_of=AS_OF)


def test_request_validation() -> None:
    with pytest.raises(ValueError):
        UseRequest.model_validate({"service": {"name": "S"}, "information": []})
    with pytest.raises(ValueError):
        UseRequest.model_validate({"service": {"name": "S", "contract_basis": "handshake"},
                                   "information": [{"confidentiality": 1, "integrity": 1, "availability": 1}]})
    with pytest.raises(ValueError):
        UseRequest.model_validate({"service": {"name": "S"}, "information": [
            {"confidentiality": 4, "integrity": 1, "availability": 1}]})


def test_the_same_engine_serves_many_requests_with_different_policies() -> None:
    req = _request(data_locations=["US"], region_selectable=False)
    assert ENGINE.assess(req, as_of=AS_OF).decision == "not_permitted"
    relaxed = load_policy().merged({"allowed_locations_confidential": ["JP", "US"]})
    assert ENGINE.assess(req, as_of=AS_OF, policy=relaxed).decision == "permitted"


def test_expiry_warning_window_comes_from_policy() -> None:
    req = _request(ismap={"kind": "ismap", "registration_number": "X99-0001-1", "expires_on": "2025-12-31"})
    assert ENGINE.assess(req, as_of=AS_OF).facts["ismap_status"] == "valid"
    wide = load_policy().merged({"expiry_warning_days": 200})
    assert ENGINE.assess(req, as_of=AS_OF, policy=wide).facts["ismap_status"] == "expiring"


def test_every_fact_is_computed() -> None:
    facts = ENGINE.assess(_request(), as_of=AS_OF).facts
    assert set(facts) == set(FACT_VALUES)
    for name, value in facts.items():
        assert any(type(value) is type(v) and value == v for v in FACT_VALUES[name]), name


def test_boolean_and_integer_facts_never_match_each_other() -> None:
    assert when_matches({"c_level": 1}, {"c_level": 1})
    assert not when_matches({"confidential": True}, {"confidential": 1})
    assert not when_matches({"c_level": 1}, {"c_level": True})


def _rules() -> dict[str, Any]:
    return copy.deepcopy(load_rules().model_dump(mode="json"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"][0]["when"].update({"colour": "red"}), "unknown fact"),
        (lambda d: d["rules"][0]["when"].update({"contract_basis": "handshake"}), "cannot be"),
        (lambda d: d["rules"][0]["when"].update({"c_level": True}), "cannot be"),
        (lambda d: d["rules"][0].update({"cites": ["section four"]}), "not shaped"),
        (lambda d: d["rules"][0].update({"reason_en": "see {nowhere}"}), "unknown placeholder"),
        (lambda d: d["rules"][0].update({"conditions": ["missing_condition"]}), "unknown condition"),
        (lambda d: d["rules"].append(copy.deepcopy(d["rules"][0])), "duplicate rule ids"),
        (lambda d: d["conditions"].update({"orphan": dict(d["conditions"]["encrypt_data"])}), "no rule uses"),
        (lambda d: d["rules"][0].update({"decision": "permitted_with_conditions", "conditions": []}), "names no condition"),
        (lambda d: d["rules"][0].update({"decision": "maybe"}), "decision"),
    ],
)
def test_rule_set_validation(mutate: Any, message: str) -> None:
    data = _rules()
    mutate(data)
    with pytest.raises(RuleError, match=message):
        rules_from_data(data, "agency-rules.yaml")


def test_agency_can_add_a_rule() -> None:
    data = _rules()
    data["rules"].append({"id": "no_paas", "when": {"service_model": "paas"}, "decision": "needs_review",
                          "cites": ["4.2.1(1)(a)(i)"], "reason_ja": "PaaSは個別審査", "reason_en": "PaaS is reviewed"})
    engine = Engine(rules_from_data(data), ENGINE.duties, ENGINE.vocabulary, ENGINE.policy)
    result = engine.assess(_request(service_model="paas"), as_of=AS_OF)
    assert result.decision == "needs_review" and "no_paas" in result.matched_rules


def test_policy_validation() -> None:
    with pytest.raises(PolicyError, match="non_ismap_confidential"):
        policy_from_data({"non_ismap_confidential": "sometimes"}, "p.yaml")
    with pytest.raises(PolicyError, match="colour"):
        policy_from_data({"colour": "red"}, "p.yaml")
    assert policy_from_data(None).allowed_locations_confidential == ("JP",)
    shipped = yaml.safe_load(resources.files("kijun.cloud").joinpath("data/policy.yaml").read_text(encoding="utf-8"))
    assert policy_from_data(shipped) == policy_from_data({})  # the YAML documents exactly the defaults


def test_agency_files_load_from_paths_in_cp932(tmp_path: Any) -> None:
    from kijun.cloud.lifecycle import load_duties
    from kijun.cloud.policy import load_policy as lp

    for name, loader in (("rules", load_rules), ("lifecycle", load_duties), ("policy", lp)):
        shipped = resources.files("kijun.cloud").joinpath(f"data/{name}.yaml").read_text(encoding="utf-8")
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(shipped.encode("cp932"))
        assert loader(path) == loader(None)  # type: ignore[operator]
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: x\nconditions: {}\nrules: [{id: a}]\n", encoding="utf-8")
    with pytest.raises(RuleError, match=r"broken.yaml: rules.0"):
        load_rules(broken)
