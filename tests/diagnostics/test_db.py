"""Database layer: incremental sync, ingest, rematch with SQL fan-out, remediation lifecycle.

Runs on SQLite and on PostgreSQL (KIJUN_DATABASE_URL). The database result is compared with the
pure engine (engine.run) on the same files, so the set-based fan-out cannot drift from the CLI.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path

import pytest

from kijun.core.models import AuditEntry
from kijun.core.services import ConflictError, PermissionDeniedError
from kijun.diagnostics import synthetic
from kijun.diagnostics.engine import Feeds, run
from kijun.diagnostics.epss import load_epss
from kijun.diagnostics.inventory import load_inventory
from kijun.diagnostics.kev import load_kev
from kijun.diagnostics.models import (
    EpssEntry,
    Finding,
    Host,
    Installed,
    KevListing,
    NvdCve,
    Remediation,
    RemediationEvent,
    Software,
    TrendPoint,
    Vulnerability,
)
from kijun.diagnostics.nvd import load_nvd
from kijun.diagnostics.services import (
    RemediationError,
    ingest_files,
    rematch,
    save_sla,
    sla_days,
    today,
    update_remediation,
)

from .conftest_shared import sample
from .dbhelpers import load_all, sync, write_feeds, write_inventory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_demo_diagnostics(demo) -> None:  # type: ignore[no-untyped-def]
    """Start from empty diagnostics tables (the demo loader adds its own hosts and feeds)."""
    for model in (Finding, Remediation, Installed, Host, Software, Vulnerability, NvdCve, KevListing, EpssEntry,
                  TrendPoint):
        model.objects.all().delete()


def _pairs() -> set[tuple[str, str]]:
    return set(Finding.objects.values_list("host__name", "vuln__vuln_id"))


# ------------------------------------------------------------------ sync


def test_sync_is_incremental(tmp_path: Path) -> None:
    files = write_feeds(tmp_path)
    first = sync(files)
    assert first["nvd"] == {"added": 5, "changed": 0, "unchanged": 0, "removed": 0}
    assert first["kev"]["added"] == 1 and first["epss"]["added"] == 4
    stamp = dict(NvdCve.objects.values_list("cve_id", "synced_at"))
    audits = AuditEntry.objects.filter(action="diagnostics.feeds.sync").count()

    second = sync(files)  # the same data again: nothing changes
    assert second["nvd"] == {"added": 0, "changed": 0, "unchanged": 5, "removed": 0}
    assert second["kev"]["unchanged"] == 1 and second["epss"]["unchanged"] == 4
    assert dict(NvdCve.objects.values_list("cve_id", "synced_at")) == stamp
    assert AuditEntry.objects.filter(action="diagnostics.feeds.sync").count() == audits + 1

    page = synthetic.nvd_page()
    page["vulnerabilities"][1]["cve"]["descriptions"][0]["value"] = "changed text"
    page["vulnerabilities"][1]["cve"]["lastModified"] = "2099-02-01T00:00:00.000"
    page["vulnerabilities"].append({"cve": dict(copy.deepcopy(page["vulnerabilities"][4]["cve"]), id="CVE-2099-0099")})
    kev = synthetic.kev_doc()
    kev["vulnerabilities"] = []
    third = sync(write_feeds(tmp_path / "v2", nvd=page, kev=kev))
    assert third["nvd"] == {"added": 1, "changed": 1, "unchanged": 4, "removed": 0}
    assert third["kev"]["removed"] == 1 and not KevListing.objects.exists()
    row = NvdCve.objects.get(cve_id="CVE-2099-0002")
    assert row.description == "changed text" and row.modified.startswith("2099-02-01")
    assert row.synced_at > stamp["CVE-2099-0002"]
    assert NvdCve.objects.get(cve_id="CVE-2099-0001").synced_at == stamp["CVE-2099-0001"]
    assert EpssEntry.objects.get(cve_id="CVE-2099-0001").score == pytest.approx(0.9123)


def test_bad_feed_file_writes_nothing(tmp_path: Path) -> None:
    from kijun.diagnostics._io import FeedError
    from kijun.diagnostics.store import parse_files, store_parsed

    bad = tmp_path / "bad.json"
    bad.write_text('{"vulnerabilities": [{"cve": {"id": "nope"}}]}', encoding="utf-8")
    with pytest.raises(FeedError, match="bad.json"):
        parse_files(nvd=[bad])
    assert not NvdCve.objects.exists()
    # a valid id but a broken configuration: found while storing, the whole sync is rolled back
    page = synthetic.nvd_page()
    page["vulnerabilities"][3]["cve"]["configurations"] = [{"nodes": [{"operator": "OR", "cpeMatch": [{"criteria": "x"}]}]}]
    bad.write_text(json.dumps(page), encoding="utf-8")
    with pytest.raises(FeedError):
        store_parsed(parse_files(nvd=[bad]), actor_label="test")
    assert not NvdCve.objects.exists()


# ------------------------------------------------------------------ ingest + rematch


def test_rematch_matches_the_engine_and_fans_out(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-it-division"]
    res = load_all(tmp_path, unit)
    assert res.pairs == 7 and res.host_specific == 1
    assert _pairs() == {("web-01", "CVE-2099-0001"), ("pc-101", "CVE-2099-0002"), ("pc-102", "CVE-2099-0002"),
                        ("pc-101", "CVE-2099-0003"), ("pc-101", "CVE-2099-0004")}
    # the AND / running-on CVE holds only on the host that also runs Windows 10 22H2
    f3 = Finding.objects.get(vuln__vuln_id="CVE-2099-0003")
    assert f3.running_on == ["cpe:2.3:o:microsoft:windows_10_22h2:*:*:*:*:*:*:*:*"]
    assert Finding.objects.get(vuln__vuln_id="CVE-2099-0001").outcome == 3  # KEV + network + total → Act
    v1 = Vulnerability.objects.get(vuln_id="CVE-2099-0001")
    assert v1.kev and v1.kev_due == dt.date(2099, 1, 26) and v1.epss == pytest.approx(0.9123)
    # unmapped software is stored (coverage page), never dropped
    assert Installed.objects.filter(software__isnull=True, name="庁内文書管理クライアント").count() == 1
    # one pair for Chrome on two hosts
    assert Software.objects.filter(product="google:chrome").count() == 1
    rems = {(r.vuln.vuln_id, r.host.name): r for r in Remediation.objects.select_related("vuln", "host")}
    assert len(rems) == 5
    assert rems[("CVE-2099-0001", "web-01")].due_on == dt.date(2099, 1, 26)
    assert rems[("CVE-2099-0001", "web-01")].due_basis == "kev"
    assert rems[("CVE-2099-0002", "pc-101")].due_on == today() + dt.timedelta(days=sla_days()[0])
    assert TrendPoint.objects.get(day=today(), org_unit=unit).act == 1
    assert AuditEntry.objects.filter(action="diagnostics.rematch").exists()

    # the pure engine on the same files gives the same (host, vulnerability) pairs
    feeds = tmp_path / "feeds"
    inv = load_inventory([tmp_path / "inv" / "inv.csv"])
    pure = run(inv, Feeds(nvd=load_nvd([feeds / "nvd.json"]), kev=load_kev(feeds / "kev.json"),
                          epss=load_epss(feeds / "epss.csv")))
    assert {(f.host, f.vuln_id) for f in pure.findings} == _pairs()


def test_rematch_is_stable_and_remediation_lifecycle(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-it-division"]
    load_all(tmp_path, unit)
    ids = set(Remediation.objects.values_list("id", flat=True))
    again = rematch(actor_label="test")
    assert again.remediations_opened == 0 and again.remediations_fixed == 0
    assert set(Remediation.objects.values_list("id", flat=True)) == ids

    csirt = demo["users"]["csirt"]
    chrome = Remediation.objects.get(vuln__vuln_id="CVE-2099-0002", host__name="pc-102")
    update_remediation(csirt, chrome, status="risk_accepted", owner=csirt, due_on=chrome.due_on,
                       exception_expires=today() + dt.timedelta(days=30), note="isolated kiosk",
                       expected_version=chrome.version)
    zip7 = Remediation.objects.get(vuln__vuln_id="CVE-2099-0004")
    update_remediation(csirt, zip7, status="false_positive", owner=None, due_on=zip7.due_on,
                       exception_expires=None, note="portable copy, not used")

    # web-01 upgrades OpenSSH: the finding disappears, the record is closed as fixed automatically
    rows = [r for r in synthetic.INVENTORY if r[0] != "web-01"] + [
        ("web-01", "", "openssh", "9.8p1", "", "cpe:2.3:a:openbsd:openssh:9.8:p1:*:*:*:*:*:*")]
    ingest_files([write_inventory(tmp_path / "inv2", rows)], unit=unit, actor_label="test")
    res = rematch(actor_label="test")
    assert res.remediations_fixed == 1
    ssh = Remediation.objects.get(vuln__vuln_id="CVE-2099-0001")
    assert ssh.status == "fixed" and ssh.closed_at is not None and ssh.findings == 0
    assert RemediationEvent.objects.filter(remediation=ssh, action="fixed").exists()
    # people's decisions survive the rematch
    assert Remediation.objects.get(pk=chrome.pk).status == "risk_accepted"
    assert Remediation.objects.get(pk=zip7.pk).status == "false_positive"
    assert set(Remediation.objects.values_list("id", flat=True)) == ids

    # it comes back (downgrade): the same record reopens
    ingest_files([write_inventory(tmp_path / "inv3")], unit=unit, actor_label="test")
    res = rematch(actor_label="test")
    assert res.remediations_reopened == 1
    ssh.refresh_from_db()
    assert ssh.status == "open" and ssh.closed_at is None
    assert list(ssh.events.values_list("action", flat=True))[:2] == ["reopened", "fixed"]


def test_update_remediation_rules(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    load_all(tmp_path, demo["units"]["demo-it-division"])
    rem = Remediation.objects.get(vuln__vuln_id="CVE-2099-0001")
    csirt, staff = demo["users"]["csirt"], demo["users"]["policy-iso"]
    with pytest.raises(RemediationError, match="expiry"):
        update_remediation(csirt, rem, status="risk_accepted", owner=None, due_on=rem.due_on,
                           exception_expires=None, note="why")
    with pytest.raises(RemediationError, match="false positive"):
        update_remediation(csirt, rem, status="false_positive", owner=None, due_on=rem.due_on, exception_expires=None)
    with pytest.raises(PermissionDeniedError):
        update_remediation(staff, rem, status="in_progress", owner=None, due_on=rem.due_on, exception_expires=None)
    update_remediation(csirt, rem, status="in_progress", owner=csirt, due_on=dt.date(2099, 1, 20),
                       exception_expires=None, note="patch scheduled", expected_version=rem.version)
    rem.refresh_from_db()
    assert rem.status == "in_progress" and rem.due_basis == "manual" and "patch scheduled" in rem.evidence
    with pytest.raises(ConflictError):
        update_remediation(csirt, rem, status="open", owner=None, due_on=rem.due_on, exception_expires=None,
                           expected_version=rem.version - 1)
    entry = AuditEntry.objects.filter(action="diagnostics.remediation.update").latest("seq")
    assert entry.before["status"] == "open" and entry.after["status"] == "in_progress"
    ev = rem.events.get(action="edit")
    assert ev.changes["status"] == ["open", "in_progress"] and ev.actor == "csirt"


def test_system_scope_and_sla(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.cloud.models import InformationSystem

    unit = demo["units"]["demo-it-division"]
    system = InformationSystem.objects.create(name="業務基盤", code="sys-diag", org_unit=unit, system_class="A",
                                              owner=demo["users"]["sysowner"])
    save_sla(demo["users"]["csirt"], {0: 120, 2: 20})
    assert sla_days()[0] == 120
    load_all(tmp_path, unit, system=system)
    assert set(Host.objects.values_list("mission", flat=True)) == {"high"}
    # one record per (system, vulnerability): Chrome on two hosts of the system → one record, 2 findings
    chrome = Remediation.objects.get(vuln__vuln_id="CVE-2099-0002")
    assert chrome.system == system and chrome.host is None and chrome.findings == 2
    assert chrome.owner == demo["users"]["sysowner"]
    # mission high raises the CVE-2099-0003 outcome (automatable, total) to Attend
    assert Remediation.objects.get(vuln__vuln_id="CVE-2099-0003").outcome == 2
    assert Remediation.objects.get(vuln__vuln_id="CVE-2099-0003").due_on == today() + dt.timedelta(days=20)


def test_fan_out_matches_engine_on_random_inventory(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    """Many hosts drawn from the synthetic products: DB fan-out == pure engine, host by host."""
    rnd = random.Random(7)
    choices = [r[1:] for r in synthetic.INVENTORY] + [
        ("", "openssh", "8.4p1", "", "cpe:2.3:a:openbsd:openssh:8.4:p1:*:*:*:*:*:*"),
        ("", "openssh", "9.7", "", "cpe:2.3:a:openbsd:openssh:9.7:*:*:*:*:*:*:*"),
        ("program", "Google Chrome", "120.0.6099.109", "Google LLC", "")]
    rows = []
    for h in range(60):
        for c in rnd.sample(choices, rnd.randint(1, 6)):
            rows.append((f"h{h:03d}", *c))
    unit = demo["units"]["demo-it-division"]
    sync(write_feeds(tmp_path / "feeds"))
    inv_path = write_inventory(tmp_path / "inv", rows)
    ingest_files([inv_path], unit=unit, actor_label="test")
    rematch(actor_label="test")
    feeds = tmp_path / "feeds"
    pure = run(load_inventory([inv_path]), Feeds(nvd=load_nvd([feeds / "nvd.json"]), kev=load_kev(feeds / "kev.json")))
    expected = {(f.host, f.vuln_id) for f in pure.findings}
    assert len(expected) > 40
    assert _pairs() == expected
    outcomes = {(f.host, f.vuln_id): f.decision.outcome.value for f in pure.findings}
    names = {0: "Track", 1: "Track*", 2: "Attend", 3: "Act"}
    for host, vid, o in Finding.objects.values_list("host__name", "vuln__vuln_id", "outcome"):
        assert names[o] == outcomes[(host, vid)]


def test_reference_samples_through_the_database(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    """The real-shaped samples: NVD (with an AND config), KEV, EPSS, OSV, JVN; osquery + CycloneDX."""
    from kijun.diagnostics.jvn import load_jvn
    from kijun.diagnostics.osv import load_osv
    from kijun.diagnostics.store import parse_files, store_parsed

    nvd, kev, epss = sample("nvd_cve_api2_min.json"), sample("kev_min.json"), sample("epss_min.csv")
    osv, jvn = sample("osv_min.json"), [sample("jvnrss_getVulnOverviewList_min.xml"), sample("vuldef_getVulnDetailInfo_min.xml")]
    invs = [sample("osquery_results_min.jsonl"), sample("cyclonedx_min.json")]
    counts = store_parsed(parse_files(nvd=[nvd], kev=kev, epss=epss, jvn=jvn, osv=[osv]), actor_label="test")
    assert counts["nvd"]["added"] >= 2 and counts["osv"]["added"] >= 1 and counts["jvn"]["added"] >= 1
    again = store_parsed(parse_files(nvd=[nvd], kev=kev, epss=epss, jvn=jvn, osv=[osv]), actor_label="test")
    assert all(c["added"] == c["changed"] == 0 for c in again.values())
    ingest_files(invs, unit=demo["units"]["demo-it-division"], actor_label="test")
    rematch(actor_label="test")
    pure = run(load_inventory(invs), Feeds(nvd=load_nvd([nvd]), kev=load_kev(kev), epss=load_epss(epss),
                                            jvn=load_jvn(jvn), osv=load_osv([osv])))
    assert {(f.host, f.vuln_id) for f in pure.findings} == _pairs()
    assert _pairs(), "the samples are expected to produce at least one finding"


def test_services_check_vuln_manage(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.diagnostics.store import parse_files, store_parsed

    sysowner, csirt = demo["users"]["sysowner"], demo["users"]["csirt"]
    files = write_feeds(tmp_path / "feeds")
    with pytest.raises(PermissionDeniedError):
        store_parsed(parse_files(nvd=[files["nvd"]]), actor=sysowner)
    assert not NvdCve.objects.exists()
    inv = write_inventory(tmp_path / "inv")
    with pytest.raises(PermissionDeniedError):
        ingest_files([inv], unit=demo["units"]["demo-it-division"], actor=sysowner)
    assert not Host.objects.exists()
    with pytest.raises(PermissionDeniedError):
        rematch(actor=sysowner)
    store_parsed(parse_files(nvd=[files["nvd"]]), actor=csirt)
    ingest_files([inv], unit=demo["units"]["demo-it-division"], actor=csirt)
    assert rematch(actor=csirt).findings == 5


def test_cli_sync_ingest_rematch(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from kijun.diagnostics.cli import app

    files = write_feeds(tmp_path / "feeds")
    run_ = CliRunner().invoke
    args = ["sync", "--nvd", str(files["nvd"]), "--kev", str(files["kev"]), "--epss", str(files["epss"]), "--json"]
    r = run_(app, args)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["schema"] == "kijun.vuln.sync/1" and doc["nvd"]["added"] == 5
    doc = json.loads(run_(app, args).stdout)
    assert doc["nvd"] == {"added": 0, "changed": 0, "unchanged": 5, "removed": 0} and "rematch" not in doc
    inv = write_inventory(tmp_path / "inv")
    r = run_(app, ["ingest", "--inventory", str(inv), "--unit", "demo-it-division", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["hosts"] == 4 and doc["unmapped"] == 1 and doc["rematch"]["findings"] == 5
    assert json.loads(run_(app, ["rematch", "--json"]).stdout)["remediations_opened"] == 0
    r = run_(app, ["ingest", "--inventory", str(inv), "--unit", "no-such-unit"])
    assert r.exit_code == 2 and "unknown unit" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    r = run_(app, ["sync", "--nvd", str(bad), "--json"])
    assert r.exit_code == 2 and r.stdout == ""


def test_overdue_job_reopens_expired_exceptions_and_notifies(tmp_path: Path, demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.core.jobs import registry
    from kijun.core.models import Notification

    load_all(tmp_path, demo["units"]["demo-it-division"])
    csirt = demo["users"]["csirt"]
    late = Remediation.objects.get(vuln__vuln_id="CVE-2099-0002", host__name="pc-101")
    Remediation.objects.filter(pk=late.pk).update(owner=csirt, due_on=today() - dt.timedelta(days=2))
    expired = Remediation.objects.get(vuln__vuln_id="CVE-2099-0004")
    Remediation.objects.filter(pk=expired.pk).update(status="risk_accepted",
                                                     exception_expires=today() - dt.timedelta(days=1))
    summary = registry()["vuln-remediation-overdue"].func()
    assert "reopened 1" in summary and "sent 1" in summary
    assert Remediation.objects.get(pk=expired.pk).status == "open"
    assert Notification.objects.filter(user=csirt, key__startswith=f"vuln-overdue:{late.pk}:").count() == 1
    assert "sent 0" in registry()["vuln-remediation-overdue"].func()  # once per record and due date
    assert TrendPoint.objects.filter(day=today()).exists()
