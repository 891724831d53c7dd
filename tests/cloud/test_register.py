from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.cloud.ismap import IsmapEntry
from kijun.cloud.ismap_diff import index
from kijun.cloud.register import (
    FORMAT,
    RegisterEntry,
    RegisterError,
    check_register,
    dump_csv,
    dump_yaml,
    load_register,
    match_domain,
    parse_csv,
    parse_yaml,
)

AS_OF = date(2025, 7, 1)


def _entry(**kw: Any) -> RegisterEntry:
    base: dict[str, Any] = {
        "service_id": "synthetic-files", "service_name": "Synthetic Files (fixture)", "provider": "Example KK",
        "status": "approved", "contract_basis": "negotiated", "ismap_kind": "ismap",
        "ismap_registration_number": "X99-0001-1", "ismap_expires_on": "2026-12-31", "max_confidentiality": 2,
        "max_integrity": 2, "max_availability": 1, "domains": ["files.example.com", "*.files-cdn.example.net"],
        "tenant": "agency-tenant-01", "administrator": "cloud-admin@example.go.jp", "approved_by": "authority",
        "approved_on": "2025-06-01", "review_due": "2026-06-01", "conditions": ["encrypt_data"], "notes": "合成データ"}
    base.update(kw)
    return RegisterEntry.model_validate(base)


def test_yaml_and_csv_round_trip(tmp_path: Path) -> None:
    entries = [_entry(), _entry(service_id="free-translator", service_name="Free Translator (fixture)",
                                status="prohibited", contract_basis="terms_of_service", ismap_kind="none",
                                ismap_registration_number=None, ismap_expires_on=None, max_confidentiality=None,
                                max_integrity=None, max_availability=None, domains=["translate.example.org"],
                                administrator=None, approved_by=None, approved_on=None, review_due=None,
                                conditions=[], notes="")]
    y = tmp_path / "register.yaml"
    y.write_text(dump_yaml(entries, AS_OF), encoding="utf-8")
    assert f"format: {FORMAT}" in y.read_text(encoding="utf-8")
    assert load_register(y).entries == tuple(entries)
    c = tmp_path / "register.csv"
    c.write_bytes(dump_csv(entries).encode("cp932"))  # Excel-saved CSV
    back = load_register(c)
    assert back.errors == () and back.entries == tuple(entries)


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), max_size=30),
       st.lists(st.sampled_from(["a.example.com", "b.example.org", "*.c.example.net"]), max_size=3, unique=True))
def test_csv_round_trip_keeps_any_note(notes: str, domains: list[str]) -> None:
    entry = _entry(notes=notes.strip(), domains=domains)
    back = parse_csv(dump_csv([entry]))
    assert back.errors == () and back.entries == (entry,)


def test_row_errors_name_row_and_field() -> None:
    csv_text = ("service_id,service_name,status,ismap_registration_number,domains,max_confidentiality\n"
                "ok-one,OK,approved,X99-0001-1,ok.example.com,1\n"
                "Bad Id,Bad,approved,,,1\n"
                "bad-reg,Bad,approved,C21-8,,1\n"
                "bad-domain,Bad,approved,,https://x.example.com/path,1\n"
                "bad-status,Bad,maybe,,,1\n")
    imp = parse_csv(csv_text, "reg.csv")
    assert [e.service_id for e in imp.entries] == ["ok-one"]
    assert {(e.row, e.field) for e in imp.errors} == {
        (3, "service_id"), (4, "ismap_registration_number"), (5, "domains"), (6, "status")}


@pytest.mark.parametrize(
    ("text", "message"),
    [("service_id,name\n", "missing columns"), ("service_id,service_name,status,colour\n", "unknown columns")],
)
def test_bad_csv_headers(text: str, message: str) -> None:
    with pytest.raises(RegisterError, match=message):
        parse_csv(text)


def test_bad_yaml_documents(tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match="format"):
        parse_yaml("entries: []\n")
    with pytest.raises(RegisterError, match="not valid YAML"):
        parse_yaml("a: [\n")
    imp = parse_yaml(f"format: {FORMAT}\nentries:\n  - 3\n  - {{service_id: x, service_name: X, status: approved}}\n")
    assert len(imp.entries) == 1 and imp.errors[0].row == 1
    other = tmp_path / "reg.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(RegisterError, match="yaml"):
        load_register(other)


def test_checks() -> None:
    entries = [
        _entry(),
        _entry(service_id="no-admin", domains=["noadmin.example.com"], administrator=None, max_confidentiality=None,
               approved_on=None),
        _entry(service_id="synthetic-files", domains=["files.example.com"]),
        _entry(service_id="tos-c2", domains=[], contract_basis="terms_of_service", ismap_kind="none",
               ismap_registration_number=None, ismap_expires_on=None, review_due="2025-01-01"),
        _entry(service_id="expired", domains=["exp.example.com"], ismap_expires_on="2025-06-30"),
        _entry(service_id="expiring", domains=["soon.example.com"], ismap_expires_on="2025-08-01"),
        _entry(service_id="liu-no-number", domains=["liu.example.com"], ismap_kind="ismap_liu",
               ismap_registration_number=None),
        _entry(service_id="prohibited-expired", status="prohibited", domains=["p.example.com"],
               ismap_expires_on="2020-01-01", administrator=None),
    ]
    got = {(i.service_id, i.field, i.severity) for i in check_register(entries, AS_OF)}
    assert got == {
        ("no-admin", "administrator", "error"), ("no-admin", "max_confidentiality", "error"),
        ("no-admin", "approved_on", "warning"),
        ("synthetic-files", "service_id", "error"),
        ("tos-c2", "domains", "warning"), ("tos-c2", "max_confidentiality", "warning"), ("tos-c2", "review_due", "warning"),
        ("expired", "ismap_expires_on", "error"), ("expiring", "ismap_expires_on", "warning"),
        ("liu-no-number", "ismap_registration_number", "error"),
    }


def test_checks_against_the_ismap_list() -> None:
    listing = index([
        IsmapEntry(registration_number="X99-0001-1", service_name="Synthetic Files", expires_on=date(2025, 9, 15)),
        IsmapEntry(registration_number="X99-0002-1", service_name="Other", expires_on=date(2027, 1, 1), liu=True)])
    entries = [_entry(), _entry(service_id="b", domains=["b.example.com"], ismap_registration_number="X99-0002-1",
                                ismap_expires_on="2027-01-01"),
               _entry(service_id="c", domains=["c.example.com"], ismap_registration_number="X99-0009-1")]
    got = {(i.service_id, i.field, i.severity) for i in check_register(entries, AS_OF, listing=listing)}
    assert got == {("synthetic-files", "ismap_expires_on", "warning"),  # list differs, and expires within 90 days
                   ("b", "ismap_kind", "warning"), ("c", "ismap_registration_number", "warning")}
    msgs = [i.message for i in check_register(entries, AS_OF, listing=listing) if i.service_id == "synthetic-files"]
    assert any("2025-09-15" in m for m in msgs) and any("expires in 76 days" in m for m in msgs)


def test_domain_matching_for_discovery() -> None:
    entries = [_entry(), _entry(service_id="cdn-wide", domains=["*.example.net"])]
    assert match_domain(entries, "FILES.example.com.") is not None
    assert match_domain(entries, "eu.files-cdn.example.net").service_id == "synthetic-files"  # type: ignore[union-attr]
    assert match_domain(entries, "other.example.net").service_id == "cdn-wide"  # type: ignore[union-attr]
    assert match_domain(entries, "example.com") is None
    assert match_domain(entries, "evilfiles-cdn.example.net").service_id == "cdn-wide"  # type: ignore[union-attr]
