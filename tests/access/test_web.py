"""Policy authoring pages: default seed + review, rules through the form, generated and validated
Cedar, hand-written Cedar, resources, the test form, publish / revisions / diff, conflicts, audit,
and scope (another unit's policy set is a 404 everywhere)."""

from __future__ import annotations

import stat
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kijun.access.bundle import load_public_key, read_bundle
from kijun.access.models import PolicyRevision, PolicyRule, PolicySet, ProtectedResource
from kijun.access.policy import shipped_default_rules
from kijun.access.services import public_key_pem, signing_key_path
from kijun.core.models import AuditEntry, RoleAssignment, User

pytestmark = pytest.mark.django_db

NEW_RULE: dict[str, Any] = {
    "rule_id": "deny_c2_weekend", "outcome": "deny", "step_up_to": "", "description": "週末は機密性2以上を閉じる",
    "references": "7.3.1(3)", "roles": "", "enabled": "on",
    "c0_attr": "resource.confidentiality", "c0_op": ">=", "c0_value": "2",
    "c1_attr": "time.weekday", "c1_op": "in", "c1_value": "6, 7",
}


@pytest.fixture
def manager(demo: dict[str, Any]) -> Client:
    c = Client()
    c.force_login(demo["users"]["head-iso"])  # 統括情報セキュリティ責任者 over the whole ministry
    return c


@pytest.fixture
def pset(demo: dict[str, Any], manager: Client) -> PolicySet:
    r = manager.post(reverse("access_set_new"), {"name": "本省方針", "code": "honsho", "seed_default": "on",
                                                 "org_unit": demo["units"]["demo-ministry"].pk, "description": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    return PolicySet.objects.get(code="honsho")


def _form(pset: PolicySet, **extra: Any) -> dict[str, Any]:
    pset.refresh_from_db()
    return {**NEW_RULE, "version": pset.version, **extra}


def test_new_set_is_seeded_from_the_default_and_marked_for_review(manager: Client, pset: PolicySet) -> None:
    defaults = shipped_default_rules().count("\n  - id: ")
    assert pset.rules.count() == defaults == 28
    assert pset.needs_review
    page = manager.get(reverse("access_set_detail", args=[pset.pk])).content.decode()
    assert 'data-testid="review-banner"' in page and 'data-testid="policy-valid"' in page
    from kijun.access.forms import describe

    summary = describe({"attr": "resource.org_unit", "op": "==", "ref": "principal.org_unit"})
    assert summary in page and len(summary) > 10  # conditions are listed readably for review
    assert AuditEntry.objects.filter(action="access.policy_set.create", object_id=str(pset.pk)).exists()
    r = manager.post(reverse("access_set_review", args=[pset.pk]), {"version": pset.version})
    assert r.status_code == 302
    pset.refresh_from_db()
    assert not pset.needs_review and pset.reviewed_by.username == "head-iso"
    assert 'data-testid="review-banner"' not in manager.get(reverse("access_set_detail", args=[pset.pk])).content.decode()


def test_add_rule_generates_validated_cedar(manager: Client, pset: PolicySet) -> None:
    r = manager.post(reverse("access_rule_new", args=[pset.pk]), _form(pset))
    assert r.status_code == 302, r.content.decode()[:3000]
    rule = PolicyRule.objects.get(policy_set=pset, rule_id="deny_c2_weekend")
    assert rule.conditions == [{"attr": "resource.confidentiality", "op": ">=", "value": 2},
                               {"attr": "time.weekday", "op": "in", "value": [6, 7]}]
    cedar = manager.get(reverse("access_set_cedar", args=[pset.pk])).content.decode()
    assert '@id(&quot;deny_c2_weekend&quot;)' in cedar
    assert "[6, 7].contains(context.time.weekday)" in cedar
    assert 'data-testid="policy-valid"' in cedar
    entry = AuditEntry.objects.get(action="access.rule.create")
    assert entry.after["rule_id"] == "deny_c2_weekend"


@pytest.mark.parametrize(("extra", "message"), [
    ({"c0_op": "contains"}, ("operator does not apply", "この演算子は")),
    ({"c1_value": "6, 8"}, ("from 1 to 7", "1 から 7")),
    ({"outcome": "step_up"}, ("step_up_to",)),
    ({"rule_id": "allow_staff_own_unit"}, ("duplicate rule id",)),
    ({"c0_value": "high"}, ("whole number", "整数")),
    ({"conditions_yaml": "- device.colour == red"}, ("unknown attribute",)),
])
def test_invalid_rules_are_refused_with_a_reason(manager: Client, pset: PolicySet, extra: dict[str, str],
                                                  message: tuple[str, ...]) -> None:
    """The reason is shown in the user's language (English msgid or its Japanese translation)."""
    before = pset.rules.count()
    r = manager.post(reverse("access_rule_new", args=[pset.pk]), _form(pset, **extra))
    assert r.status_code == 400
    assert any(m in r.content.decode() for m in message)
    assert pset.rules.count() == before


def test_edit_rule_with_groups_round_trips_through_yaml(manager: Client, pset: PolicySet) -> None:
    grouped = pset.rules.filter(conditions__isnull=False).exclude(conditions=[])
    rule = next(r for r in grouped if any("any" in c for c in r.conditions))
    page = manager.get(reverse("access_rule_edit", args=[pset.pk, rule.pk])).content.decode()
    assert "any:" in page
    from kijun.access.forms import RuleForm

    data = {k: v for k, v in RuleForm.initial_for(rule).items() if v not in (None, "")}
    data["actions"] = rule.actions
    data["enabled"] = "on"
    pset.refresh_from_db()
    data["version"] = pset.version
    r = manager.post(reverse("access_rule_edit", args=[pset.pk, rule.pk]), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    rule.refresh_from_db()
    assert any("any" in c for c in rule.conditions) and rule.version == 2


def test_rule_preview_fragment(manager: Client, pset: PolicySet) -> None:
    r = manager.post(reverse("access_rule_preview", args=[pset.pk]), _form(pset))
    assert 'data-testid="rule-preview"' in r.content.decode() and "forbid" in r.content.decode()
    r = manager.post(reverse("access_rule_preview", args=[pset.pk]), _form(pset, c0_op="contains"))
    assert "operator does not apply" in r.content.decode() or "この演算子は" in r.content.decode()


def test_hand_written_cedar_is_validated(manager: Client, pset: PolicySet) -> None:
    bad = '@id("bad_attr")\npermit (principal, action, resource) when { resource.colour == "red" };\n'
    r = manager.post(reverse("access_set_edit", args=[pset.pk]),
                     {"name": pset.name, "description": "", "hand_cedar": bad, "version": pset.version})
    assert r.status_code == 200 and "colour" in r.content.decode()
    pset.refresh_from_db()
    assert pset.hand_cedar == ""
    good = ('@id("allow_sysadmin_read")\n@outcome("allow")\n'
            'permit (principal in Role::"sysadmin", action == Action::"read", resource);\n')
    r = manager.post(reverse("access_set_edit", args=[pset.pk]),
                     {"name": pset.name, "description": "", "hand_cedar": good, "version": pset.version})
    assert r.status_code == 302
    cedar = manager.get(reverse("access_set_cedar", args=[pset.pk])).content.decode()
    assert "hand.cedar" in cedar and "allow_sysadmin_read" in cedar


def test_test_form_decides_with_determining_policies_and_step_up(manager: Client, pset: PolicySet) -> None:
    url = reverse("access_set_test", args=[pset.pk])
    base = {"principal": "u1", "roles": "staff", "org_unit": "soumu", "action": "read", "confidentiality": 2,
            "resource_unit": "soumu", "network": "agency", "managed": "on", "agency_furnished": "on",
            "edr_running": "on", "edr_healthy": "on", "disk_encrypted": "on", "patch_age": 3, "hour": 10,
            "weekday": 2}
    page = manager.post(url, base).content.decode()
    assert 'data-testid="decision"' in page and "<code>allow</code>" in page and "allow_staff_own_unit" in page
    page = manager.post(url, {**base, "edr_running": ""}).content.decode()
    assert "<code>deny</code>" in page and "deny_edr_not_running" in page
    page = manager.post(url, {**base, "network": "telework"}).content.decode()
    assert "<code>step_up</code>" in page and 'data-testid="step-up"' in page


def test_publish_signs_a_bundle_and_diffs_revisions(manager: Client, pset: PolicySet, settings: Any) -> None:
    r = manager.post(reverse("access_set_publish", args=[pset.pk]), {"note": "初版", "version": pset.version})
    assert r.status_code == 302
    rev1 = PolicyRevision.objects.get(policy_set=pset, number=1)
    source, info = read_bundle(bytes(rev1.bundle), load_public_key(public_key_pem().encode()))
    assert info.verified and source.revision == rev1.revision and "allow_staff_own_unit" in source.cedar_text()
    path = signing_key_path()
    assert str(path).startswith(str(settings.DATA_DIR)) and stat.S_IMODE(path.stat().st_mode) == 0o600
    # unchanged: refused
    pset.refresh_from_db()
    r = manager.post(reverse("access_set_publish", args=[pset.pk]), {"version": pset.version}, follow=True)
    assert "nothing changed since revision 1" in r.content.decode()
    assert PolicyRevision.objects.filter(policy_set=pset).count() == 1
    # a rule later, revision 2, with a diff naming the new rule
    manager.post(reverse("access_rule_new", args=[pset.pk]), _form(pset))
    pset.refresh_from_db()
    r = manager.post(reverse("access_set_publish", args=[pset.pk]), {"note": "週末", "version": pset.version})
    rev2 = PolicyRevision.objects.get(policy_set=pset, number=2)
    assert r.url == reverse("access_revision_detail", args=[rev2.pk])
    page = manager.get(r.url).content.decode()
    assert '<span class="add">+@id(&quot;deny_c2_weekend&quot;)</span>' in page
    assert "r1" in page and str(rev2.published_by) in page
    audit = AuditEntry.objects.filter(action="access.policy_set.publish", object_repr__startswith="honsho").order_by("seq")
    assert [e.after["number"] for e in audit] == [1, 2]
    dl = manager.get(reverse("access_revision_download", args=[rev2.pk]))
    assert dl.status_code == 200 and bytes(dl.content) == bytes(rev2.bundle)


def test_stale_version_is_a_conflict_and_nothing_changes(manager: Client, pset: PolicySet) -> None:
    stale = pset.version
    assert manager.post(reverse("access_rule_new", args=[pset.pk]), _form(pset)).status_code == 302
    r = manager.post(reverse("access_rule_new", args=[pset.pk]), {**NEW_RULE, "rule_id": "other", "version": stale})
    assert r.status_code == 409
    assert "Reload" in r.content.decode() or "再読み込み" in r.content.decode()
    assert not pset.rules.filter(rule_id="other").exists()
    r = manager.post(reverse("access_set_publish", args=[pset.pk]), {"version": stale})
    assert not PolicyRevision.objects.filter(policy_set=pset).exists()


def test_invalid_policy_cannot_be_published(manager: Client, pset: PolicySet) -> None:
    pset.rules.all().delete()
    pset.refresh_from_db()
    page = manager.get(reverse("access_set_detail", args=[pset.pk])).content.decode()
    assert 'data-testid="policy-problems"' in page
    manager.post(reverse("access_set_publish", args=[pset.pk]), {"version": pset.version})
    assert not PolicyRevision.objects.filter(policy_set=pset).exists()


def test_resources_and_routes(manager: Client, pset: PolicySet) -> None:
    r = manager.post(reverse("access_resource_new", args=[pset.pk]), {
        "resource_id": "payroll", "name": "給与", "path_prefix": "/payroll/", "confidentiality": 3,
        "integrity": 2, "availability": 1, "handling": ["no_takeout"], "owner_unit": "jinji",
        "version": pset.version})
    assert r.status_code == 302, r.content.decode()[:2000]
    res = ProtectedResource.objects.get(policy_set=pset, resource_id="payroll")
    assert res.handling == ["no_takeout"]
    cedar = manager.get(reverse("access_set_cedar", args=[pset.pk])).content.decode()
    assert "prefix: /payroll/" in cedar
    pset.refresh_from_db()
    r = manager.post(reverse("access_resource_new", args=[pset.pk]), {
        "resource_id": "x", "name": "x", "path_prefix": "/a/../b", "confidentiality": 1, "integrity": 1,
        "availability": 1, "version": pset.version})
    assert r.status_code == 200 and not pset.resources.filter(resource_id="x").exists()
    r = manager.post(reverse("access_resource_delete", args=[pset.pk, res.pk]), {"version": pset.version})
    assert not pset.resources.exists()
    assert AuditEntry.objects.filter(action="access.resource.delete").exists()


def test_delete_rule(manager: Client, pset: PolicySet) -> None:
    rule = pset.rules.get(rule_id="allow_staff_read_c1")
    manager.post(reverse("access_rule_delete", args=[pset.pk, rule.pk]), {"version": pset.version})
    assert not pset.rules.filter(rule_id="allow_staff_read_c1").exists()
    assert AuditEntry.objects.get(action="access.rule.delete").before["rule_id"] == "allow_staff_read_c1"


def test_other_units_policy_set_is_not_found(demo: dict[str, Any], manager: Client, pset: PolicySet) -> None:
    """A security officer of the policy bureau manages its own sets and cannot reach the ministry's."""
    officer = User.objects.create(username="bureau-iso", unit=demo["units"]["demo-policy-bureau"])
    RoleAssignment.objects.create(user=officer, role="security_officer", unit=demo["units"]["demo-policy-bureau"])
    other = Client()
    other.force_login(officer)
    manager.post(reverse("access_set_publish", args=[pset.pk]), {"version": pset.version})
    rev = pset.revisions.get()
    rule = pset.rules.first()
    for name, args in [("access_set_detail", [pset.pk]), ("access_set_edit", [pset.pk]),
                       ("access_set_cedar", [pset.pk]), ("access_set_test", [pset.pk]),
                       ("access_rule_new", [pset.pk]), ("access_rule_edit", [pset.pk, rule.pk]),
                       ("access_token_new", [pset.pk]), ("access_revision_detail", [rev.pk]),
                       ("access_revision_download", [rev.pk])]:
        assert other.get(reverse(name, args=args)).status_code == 404, name
    for name, args in [("access_set_publish", [pset.pk]), ("access_rule_delete", [pset.pk, rule.pk]),
                       ("access_set_review", [pset.pk])]:
        assert other.post(reverse(name, args=args), {"version": pset.version}).status_code == 404, name
    assert pset.rules.filter(pk=rule.pk).exists() and pset.revisions.count() == 1
    assert "honsho" not in other.get(reverse("access_index")).content.decode()
    assert other.get(f"/api/v1/access/policy-sets/{pset.pk}").status_code == 404
    assert other.get("/api/v1/access/bundle?policy_set=honsho").status_code == 404
    # a unit select outside the scope is refused on create
    r = other.post(reverse("access_set_new"), {"name": "x", "code": "x-set",
                                               "org_unit": demo["units"]["demo-ministry"].pk})
    assert r.status_code == 200 and not PolicySet.objects.filter(code="x-set").exists()


def test_demo_policy_set_is_published(demo: dict[str, Any]) -> None:
    pset = PolicySet.objects.get(code="demo-ministry-access")
    assert pset.needs_review and pset.resources.count() == 3 and pset.revisions.count() == 1


def test_dashboard_cards(demo: dict[str, Any], manager: Client) -> None:
    page = manager.get(reverse("dashboard")).content.decode()
    assert 'data-testid="stat-access-unreviewed"' in page and 'data-testid="stat-access-denied"' in page
    staff = Client()
    staff.force_login(demo["users"]["staff"])
    assert "stat-access-unreviewed" not in staff.get(reverse("dashboard")).content.decode()
    from kijun.access.dashboard import cards

    request = type("R", (), {"user": demo["users"]["head-iso"]})()
    assert cards(request)[0]["value"] == 1  # the demo set, seeded from the default and not reviewed


def test_rules_yaml_round_trip_and_import(manager: Client, pset: PolicySet) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    exported = manager.get(reverse("access_rules_export", args=[pset.pk]))
    assert exported.status_code == 200 and b"allow_staff_own_unit" in exported.content
    doc = ("rules:\n  - id: allow_all_read_c1\n    outcome: allow\n    description: 機密性1は誰でも閲覧\n"
           "    actions: [read]\n    when:\n      - resource.confidentiality == 1\n")
    url = reverse("access_rules_import", args=[pset.pk])
    bad = doc.replace("== 1", "== maybe")
    r = manager.post(url, {"version": pset.version,
                           "file": SimpleUploadedFile("bad.rules.yaml", bad.encode("cp932"))})
    assert r.status_code == 400 and pset.rules.count() == 28
    r = manager.post(url, {"version": pset.version,
                           "file": SimpleUploadedFile("new.rules.yaml", doc.encode("cp932"))})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert list(pset.rules.values_list("rule_id", flat=True)) == ["allow_all_read_c1"]
    assert pset.rules.get().description == "機密性1は誰でも閲覧"
    entry = AuditEntry.objects.get(action="access.rules.import")
    assert len(entry.before["rules"]) == 28 and entry.after["rules"] == ["allow_all_read_c1"]
    # the exported document of the imported set imports again unchanged
    again = manager.get(reverse("access_rules_export", args=[pset.pk])).content
    pset.refresh_from_db()
    r = manager.post(url, {"version": pset.version, "file": SimpleUploadedFile("again.yaml", again)})
    assert r.status_code == 302 and pset.rules.get().rule_id == "allow_all_read_c1"
    # binary content is refused by the upload checks
    pset.refresh_from_db()
    r = manager.post(url, {"version": pset.version, "file": SimpleUploadedFile("x.yaml", b"\x89PNG\r\n\x1a\n" + bytes(64))})
    assert r.status_code in (400, 415) and pset.rules.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_sign_one_revision(demo: dict[str, Any]) -> None:
    """Two people publish the same set at once: the set row lock serialises them, the second sees
    nothing changed (PostgreSQL; SQLite serialises whole-database writes anyway)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) are what is tested; SQLite has none")
    from kijun.access.services import PublishError, publish, seed_set

    head = demo["users"]["head-iso"]
    pset = seed_set(head, name="c", code="concurrent", unit=demo["units"]["demo-ministry"])
    results: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait(5)
            results.append(f"r{publish(head, PolicySet.objects.get(pk=pset.pk)).number}")
        except PublishError as exc:
            results.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["nothing changed since revision 1", "r1"]
    assert PolicyRevision.objects.filter(policy_set=pset).count() == 1
