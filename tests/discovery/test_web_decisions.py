"""Decisions are inherited down the organisation tree: a unit's later scans apply its own decisions
and those of its ancestors, the nearest unit winning; the report page says where a decision comes
from, and the row's form records the scan's own unit's decision."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kijun.core.models import OrgUnit
from kijun.discovery import store
from kijun.discovery.models import AppDecision, Scan

from .web_helpers import REGISTER, make_scan

pytestmark = pytest.mark.django_db


def _decide(demo, code: str, key: str, decision: str) -> AppDecision:  # type: ignore[no-untyped-def]
    return store.decide(demo["users"]["sysowner"], demo["units"][code], key, decision, name=key)


def _rows(scan: Scan) -> dict[str, dict[str, object]]:
    return {a["key"]: a for a in [*scan.report["apps"], *scan.report["unknown_domains"]]}


def test_ancestors_decisions_apply_the_nearest_winning(demo) -> None:  # type: ignore[no-untyped-def]
    # the ministry prohibits Dropbox and ChatGPT; the policy bureau puts Dropbox under review
    _decide(demo, "demo-ministry", "dropbox", "prohibited")
    _decide(demo, "demo-ministry", "chatgpt", "prohibited")
    _decide(demo, "demo-policy-bureau", "dropbox", "under_review")
    _decide(demo, "demo-policy-bureau", "?unknown-widget.example", "sanctioned")

    planning = _rows(make_scan(demo["units"]["demo-policy-planning"]))
    assert planning["dropbox"]["register_status"] == "under_review"  # the bureau is nearer than the ministry
    assert planning["chatgpt"]["register_status"] == "prohibited"    # inherited from the grandparent
    # a sibling branch gets the ministry's decisions, not the bureau's
    it = _rows(make_scan(demo["units"]["demo-it-division"]))
    assert it["dropbox"]["register_status"] == "prohibited" and it["chatgpt"]["register_status"] == "prohibited"

    # the division's own decision overrides both
    _decide(demo, "demo-policy-planning", "dropbox", "sanctioned")
    planning = _rows(make_scan(demo["units"]["demo-policy-planning"]))
    assert (planning["dropbox"]["status"], planning["dropbox"]["register_status"]) == ("sanctioned", "approved")
    # and the bureau still sees its own
    bureau = _rows(make_scan(demo["units"]["demo-policy-bureau"]))
    assert bureau["dropbox"]["register_status"] == "under_review"
    # "ignored" is the nearest decision too: it hides the ministry's prohibition, applying nothing
    _decide(demo, "demo-it-division", "chatgpt", "ignored")
    it = _rows(make_scan(demo["units"]["demo-it-division"]))
    assert it["chatgpt"]["register_status"] is None and it["dropbox"]["register_status"] == "prohibited"


def test_the_register_still_wins_over_inherited_decisions(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .web_helpers import squid_file

    _decide(demo, "demo-ministry", "@agency.cybozu.com", "prohibited")
    c = login_as("sysowner")
    r = c.post(reverse("discovery_new"), {
        "unit": demo["units"]["demo-policy-planning"].pk, "format": "auto", "register_source": "upload",
        "logs": [squid_file()], "register": SimpleUploadedFile("register.csv", REGISTER, content_type="text/csv")})
    assert r.status_code == 302, r.content.decode()[:1000]
    row = _rows(Scan.objects.get())["cybozu-cloud@agency.cybozu.com"]
    assert (row["status"], row["register_status"]) == ("sanctioned", "approved")


def test_report_page_shows_inherited_decisions_and_records_the_units_own(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    _decide(demo, "demo-policy-bureau", "dropbox", "prohibited")
    own = _decide(demo, "demo-policy-planning", "chatgpt", "under_review")
    scan = make_scan(demo["units"]["demo-policy-planning"])
    c = login_as("sysowner")
    url = reverse("discovery_scan", kwargs={"pk": scan.pk})
    page = c.get(url).content.decode()
    dropbox = re.search(r'<tr data-key="dropbox">.*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "利用禁止（政策局の判断）" in dropbox
    assert 'name="version"' not in dropbox  # the form records the unit's own decision, not the bureau's
    chatgpt = re.search(r'<tr data-key="chatgpt">.*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "審査中" in chatgpt and "の判断" not in chatgpt and f'name="version" value="{own.version}"' in chatgpt

    r = c.post(reverse("discovery_decide", kwargs={"pk": scan.pk}),
               {"key": "dropbox", "name": "Dropbox", "decision": "sanctioned", "reason": "課で契約"})
    assert r.status_code == 302
    mine = AppDecision.objects.get(unit=demo["units"]["demo-policy-planning"], key="dropbox")
    assert (mine.decision, mine.version) == ("sanctioned", 1)
    bureau = AppDecision.objects.get(unit=demo["units"]["demo-policy-bureau"], key="dropbox")
    assert bureau.decision == "prohibited"  # the ancestor's decision is untouched
    dropbox = re.search(r'<tr data-key="dropbox">.*?</tr>', c.get(url).content.decode(), re.S).group(0)  # type: ignore[union-attr]
    assert "承認済み" in dropbox and "の判断" not in dropbox

    # the bureau's scan page shows its decision as its own; a viewer without DISCOVERY_RUN sees the label only
    ciso = login_as("ciso")
    page = ciso.get(url).content.decode()
    assert "decide-form" not in page and "承認済み" in page


def test_a_decision_on_a_domain_row_covers_its_other_keys(demo) -> None:  # type: ignore[no-untyped-def]
    """``?domain`` (unknown) and ``@domain`` (register-scoped) rows are the same domain entry."""
    _decide(demo, "demo-ministry", "?unknown-widget.example", "prohibited")
    targets = store.effective_decisions(demo["units"]["demo-policy-planning"])
    assert targets[(None, "unknown-widget.example")].unit.code == "demo-ministry"
    assert store.decision_target("@unknown-widget.example") == (None, "unknown-widget.example")
    assert store.decision_target("cybozu-cloud@agency.cybozu.com") == (None, "agency.cybozu.com")
    assert store.decision_target("dropbox") == ("dropbox", None)
    assert store.decision_target("@") is None


def _chain(demo, depth: int) -> OrgUnit:  # type: ignore[no-untyped-def]
    """A unit ``depth`` levels below the policy planning division; every level above it decides."""
    unit = demo["units"]["demo-policy-planning"]
    for i in range(depth):
        if i:
            store.decide(demo["users"]["sysowner"], unit, "chatgpt", "prohibited" if i % 2 else "under_review")
        unit = OrgUnit(name=f"係{depth}-{i}", code=f"chain-{depth}-{i}", kind="division", parent=unit)
        unit.save()
    return unit


def test_one_query_for_all_ancestors(demo, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    _decide(demo, "demo-ministry", "box", "sanctioned")
    _decide(demo, "demo-policy-bureau", "dropbox", "prohibited")
    shallow, deep = _chain(demo, 1), _chain(demo, 8)
    assert deep.depth == shallow.depth + 7
    for unit, chatgpt in ((shallow, None), (deep, "prohibited")):  # level 7 of 8 is the nearest
        with django_assert_num_queries(1):
            reg = store.with_decisions(None, unit)
        assert reg is not None
        assert {e.app: e.status for e in reg.entries} == \
            {"box": "approved", "dropbox": "prohibited", **({"chatgpt": chatgpt} if chatgpt else {})}


def test_report_page_queries_do_not_grow_with_the_depth(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    _decide(demo, "demo-ministry", "dropbox", "prohibited")
    scans = [make_scan(_chain(demo, n)) for n in (1, 6)]
    c = login_as("sysowner")
    c.get(reverse("discovery_index"))  # the session's first request also loads what it caches
    counts = []
    for scan in scans:
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(reverse("discovery_scan", kwargs={"pk": scan.pk}))
        assert r.status_code == 200 and "利用禁止（デモ省の判断）" in r.content.decode()
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_api_lists_the_decisions_that_hold_in_a_unit(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    _decide(demo, "demo-ministry", "dropbox", "prohibited")
    _decide(demo, "demo-ministry", "chatgpt", "prohibited")
    _decide(demo, "demo-policy-planning", "dropbox", "sanctioned")
    planning = demo["units"]["demo-policy-planning"]
    c = login_as("sysowner")
    base = "/api/v1/discovery/decisions"
    own = c.get(f"{base}?unit_id={planning.pk}").json()
    assert [(d["key"], d["decision"]) for d in own["items"]] == [("dropbox", "sanctioned")]
    held = c.get(f"{base}?unit_id={planning.pk}&effective=true").json()
    assert [(d["key"], d["decision"], d["unit_id"]) for d in held["items"]] == [
        ("chatgpt", "prohibited", demo["units"]["demo-ministry"].pk),
        ("dropbox", "sanctioned", planning.pk),
    ]
    assert c.get(f"{base}?effective=true").status_code == 422
    # someone whose scope is the policy bureau cannot read what holds in the IT division
    from kijun.core.models import RoleAssignment, User

    u = User.objects.create(username="bureau-csirt", unit=demo["units"]["demo-policy-bureau"])
    RoleAssignment.objects.create(user=u, role="csirt_member", unit=demo["units"]["demo-policy-bureau"])
    c.force_login(u)
    assert c.get(f"{base}?unit_id={planning.pk}&effective=true").status_code == 200
    outside = demo["units"]["demo-it-division"]
    assert c.get(f"{base}?unit_id={outside.pk}&effective=true").status_code == 404
