from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest

from kijun.cloud.engine import Engine
from kijun.cloud.lifecycle import checklist, complete, duties_from_data, load_duties, overdue
from kijun.cloud.request import UseRequest
from kijun.cloud.rules import RuleError
from kijun.core.roles import ROLES

ENGINE = Engine.default()
START = date(2025, 7, 1)


def _assess(c: int, **service: Any) -> Any:
    svc = {"name": "S", "contract_basis": "negotiated", "ismap": {"kind": "ismap", "registration_number": "X99-0001-1",
                                                                 "expires_on": "2027-01-01"}, **service}
    req = UseRequest.model_validate({"service": svc, "information": [{"confidentiality": c, "integrity": 1,
                                                                      "availability": 1}]})
    return ENGINE.assess(req, as_of=START)


def test_owner_roles_exist_in_core_roles() -> None:
    codes = {r.code for r in ROLES}
    for duty in load_duties().duties:
        assert set(duty.owner_roles) <= codes, duty.id


def test_every_phase_has_duties_in_both_tracks() -> None:
    for c in (1, 2):
        duties = _assess(c).duties
        assert all(duties[p] for p in ("planning", "procurement", "construction", "operation", "end_of_use")), c


def test_end_of_use_covers_data_and_account_disposal() -> None:
    conf = {d.id for d in _assess(2).duties["end_of_use"]}
    assert {"dispose_information", "dispose_accounts"} <= conf
    nonconf = {d.id for d in _assess(1).duties["end_of_use"]}
    assert {"nc_delete_data", "nc_delete_accounts"} <= nonconf
    assert not conf & nonconf


def test_checklist_dates_and_recurrence() -> None:
    result = _assess(2)
    items = checklist(result.duties, START, date(2028, 3, 31))
    by_id = {i.duty_id: i for i in items}
    assert by_id["submit_application"].due_on == START
    assert by_id["access_rights_review"].due_on == START + timedelta(days=90)
    assert by_id["periodic_operation_check"].due_on == START + timedelta(days=180)
    assert by_id["dispose_information"].due_on == date(2028, 3, 31)
    assert by_id["threat_review"].due_on is None
    assert [i.phase for i in items] == sorted((i.phase for i in items), key=["planning", "procurement",
                                              "construction", "operation", "end_of_use"].index)
    # finishing a recurring review rolls it forward; a one-off is closed
    later = complete(by_id["access_rights_review"], date(2025, 10, 1), ["review-2025Q3.pdf"])
    assert later.status == "open" and later.due_on == date(2025, 12, 30) and later.evidence == ("review-2025Q3.pdf",)
    done = complete(by_id["submit_application"], START)
    assert done.status == "done"
    late = overdue([by_id["access_rights_review"], done, by_id["threat_review"]], date(2025, 12, 1))
    assert [i.duty_id for i in late] == ["access_rights_review"]


def test_checklist_without_end_date() -> None:
    items = checklist(_assess(1).duties, START)
    assert all(i.due_on is None for i in items if i.phase == "end_of_use")


def _duties() -> dict[str, Any]:
    return copy.deepcopy(load_duties().model_dump(mode="json"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["duties"][0].update({"due": "recurring"}), "recurrence"),
        (lambda d: d["duties"][0].update({"phase": "someday"}), "phase"),
        (lambda d: d["duties"].append(copy.deepcopy(d["duties"][0])), "unique"),
        (lambda d: d["duties"][0]["when"].update({"colour": 1}), "unknown fact"),
        (lambda d: d["duties"][0].update({"cites": ["4.2"]}), "4.2"),
    ],
)
def test_duty_validation(mutate: Any, message: str) -> None:
    data = _duties()
    mutate(data)
    if message == "4.2":  # a section id is a valid citation shape
        assert duties_from_data(data)
        return
    with pytest.raises(RuleError, match=message):
        duties_from_data(data, "duties.yaml")
