"""The register of cloud services (approved / prohibited / under review).

This is the agency's one list that 4.2.1(4)(c) and 4.2.3(2)(c) require ("record the
approved service") and the baseline the shadow-IT discovery engine compares traffic with
(8.1.1(3)(h): no unapproved service). The export format is a contract with discovery:
``kijun.cloud.register/v1``, documented in docs/cloud.md; YAML and CSV carry the same fields.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kijun.classification.textio import decode_text
from kijun.cloud.ismap import REG_NO, IsmapEntry, expiry_state
from kijun.cloud.request import ContractBasis, IsmapKind

FORMAT = "kijun.cloud.register/v1"
Status = Literal["approved", "prohibited", "under_review"]
_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
CSV_COLUMNS = ("service_id", "service_name", "provider", "status", "contract_basis", "ismap_kind",
               "ismap_registration_number", "ismap_expires_on", "max_confidentiality", "max_integrity",
               "max_availability", "domains", "tenant", "administrator", "approved_by", "approved_on",
               "review_due", "conditions", "notes")
_LISTS = {"domains", "conditions"}


class RegisterError(ValueError):
    """A register file that cannot be read at all."""


class RegisterEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service_id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    service_name: str = Field(min_length=1)
    provider: str = ""
    status: Status
    contract_basis: ContractBasis | None = None
    ismap_kind: IsmapKind = "none"
    ismap_registration_number: str | None = None
    ismap_expires_on: date | None = None
    max_confidentiality: int | None = Field(default=None, ge=1, le=3,
                                            description="highest 機密性 the service may hold")
    max_integrity: int | None = Field(default=None, ge=1, le=2)
    max_availability: int | None = Field(default=None, ge=1, le=2)
    domains: tuple[str, ...] = Field(default=(), description="hostnames; '*.example.com' for subdomains")
    tenant: str | None = Field(default=None, description="the agency's tenant/account id at the provider")
    administrator: str | None = Field(default=None, description="クラウドサービス管理者")
    approved_by: str | None = None
    approved_on: date | None = None
    review_due: date | None = None
    conditions: tuple[str, ...] = ()
    notes: str = ""

    @field_validator("ismap_registration_number")
    @classmethod
    def _reg_no(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        v = value.strip().upper()
        if not REG_NO.match(v):
            raise ValueError("registration number must look like C21-0008-2")
        return v

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for d in value:
            host = d.strip().lower().rstrip(".")
            if not _DOMAIN.match(host):
                raise ValueError(f"{d!r} is not a hostname (no scheme, path or port)")
            out.append(host)
        return tuple(dict.fromkeys(out))


class RowIssue(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    service_id: str | None
    field: str
    severity: Literal["error", "warning"]
    message: str
    cites: tuple[str, ...] = ()


class RegisterImport(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    entries: tuple[RegisterEntry, ...]
    errors: tuple[RowIssue, ...]


def _issue_from(exc: ValidationError, row: int, sid: str | None) -> list[RowIssue]:
    return [RowIssue(row=row, service_id=sid, field=".".join(str(p) for p in e["loc"]) or "(row)",
                     severity="error", message=e["msg"]) for e in exc.errors()]


def _validate_rows(rows: Iterable[tuple[int, Mapping[str, Any]]], source: str) -> RegisterImport:
    entries: list[RegisterEntry] = []
    errors: list[RowIssue] = []
    for row, data in rows:
        sid = str(data.get("service_id") or "") or None
        try:
            entries.append(RegisterEntry.model_validate(data))
        except ValidationError as exc:
            errors.extend(_issue_from(exc, row, sid))
    return RegisterImport(source=source, entries=tuple(entries), errors=tuple(errors))


def parse_yaml(text: str, source: str = "<yaml>") -> RegisterImport:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegisterError(f"{source}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("entries"), list):
        raise RegisterError(f"{source}: expected a mapping with format: {FORMAT} and an entries list")
    rows = [(n, e if isinstance(e, dict) else {"service_id": None}) for n, e in enumerate(doc["entries"], 1)]
    return _validate_rows(rows, source)


def parse_csv(text: str, source: str = "<csv>") -> RegisterImport:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = set(reader.fieldnames or ())
    missing = {"service_id", "service_name", "status"} - headers
    if missing:
        raise RegisterError(f"{source}: missing columns {sorted(missing)}")
    unknown = headers - set(CSV_COLUMNS)
    if unknown:
        raise RegisterError(f"{source}: unknown columns {sorted(unknown)}")

    def rows() -> Iterable[tuple[int, dict[str, Any]]]:
        for rec in reader:
            data: dict[str, Any] = {}
            for k, v in rec.items():
                if k is None or v is None or v.strip() == "":
                    continue
                data[k] = tuple(x.strip() for x in v.split(";") if x.strip()) if k in _LISTS else v.strip()
            yield reader.line_num, data

    return _validate_rows(rows(), source)


def load_register(path: Path) -> RegisterImport:
    """YAML (``.yaml``/``.yml``) or CSV, UTF-8 (BOM) or CP932."""
    try:
        text = decode_text(path.read_bytes(), str(path))
    except OSError as exc:
        raise RegisterError(f"{path}: cannot read ({exc.strerror})") from exc
    if path.suffix.lower() in {".yaml", ".yml"}:
        return parse_yaml(text, str(path))
    if path.suffix.lower() == ".csv":
        return parse_csv(text, str(path))
    raise RegisterError(f"{path}: use a .yaml, .yml or .csv file")


def dump_yaml(entries: Sequence[RegisterEntry], generated_on: date) -> str:
    doc = {"format": FORMAT, "generated_on": generated_on.isoformat(),
           "entries": [e.model_dump(mode="json", exclude_defaults=True) for e in entries]}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def dump_csv(entries: Sequence[RegisterEntry]) -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        data = e.model_dump(mode="json")
        writer.writerow([";".join(data[c]) if c in _LISTS else ("" if data[c] is None else data[c])
                         for c in CSV_COLUMNS])
    return buf.getvalue()


def check_register(entries: Sequence[RegisterEntry], as_of: date, *, warn_days: int = 90,
                   listing: Mapping[str, IsmapEntry] | None = None) -> list[RowIssue]:
    """Consistency checks beyond field types: the duties the standard attaches to an approval,
    uniqueness that discovery relies on, and ISMAP linkage and expiry."""
    issues: list[RowIssue] = []

    def add(n: int, e: RegisterEntry, fld: str, sev: Literal["error", "warning"], msg: str,
            cites: tuple[str, ...] = ()) -> None:
        issues.append(RowIssue(row=n, service_id=e.service_id, field=fld, severity=sev, message=msg, cites=cites))

    ids: dict[str, int] = {}
    hosts: dict[str, str] = {}
    for n, e in enumerate(entries, start=1):
        if e.service_id in ids:
            add(n, e, "service_id", "error", f"duplicate of entry {ids[e.service_id]}")
        ids.setdefault(e.service_id, n)
        for host in e.domains:
            if host in hosts and hosts[host] != e.service_id:
                add(n, e, "domains", "error", f"{host} is already listed for {hosts[host]}")
            hosts.setdefault(host, e.service_id)
        if e.status == "approved":
            if not e.administrator:
                add(n, e, "administrator", "error", "an approved service needs a cloud service administrator",
                    ("4.2.1(4)(c)", "4.2.3(2)(c)"))
            if e.max_confidentiality is None:
                add(n, e, "max_confidentiality", "error", "say which information classes the service may hold",
                    ("4.2.1(4)(c)",))
            if not e.approved_on:
                add(n, e, "approved_on", "warning", "approval date missing", ("4.2.1(4)(c)",))
            if not e.domains:
                add(n, e, "domains", "warning", "no domains: shadow-IT discovery cannot recognise this service",
                    ("8.1.1(3)(h)",))
            if (e.max_confidentiality or 0) >= 2 and e.contract_basis == "terms_of_service" and e.ismap_kind == "none":
                add(n, e, "max_confidentiality", "warning",
                    "a standard-terms service outside ISMAP should not hold confidential information",
                    ("4.2.1", "4.2.3(2)(a)"))
            if e.review_due is not None and e.review_due < as_of:
                add(n, e, "review_due", "warning", f"review was due on {e.review_due.isoformat()}", ("4.2.2(4)(a)",))
        issues.extend(_ismap_issues(n, e, as_of, warn_days, listing))
    return issues


def _ismap_issues(n: int, e: RegisterEntry, as_of: date, warn_days: int,
                  listing: Mapping[str, IsmapEntry] | None) -> list[RowIssue]:
    out: list[RowIssue] = []
    cites = ("4.2.1(2)(c)",)
    if e.ismap_kind != "none" and e.ismap_registration_number is None:
        out.append(RowIssue(row=n, service_id=e.service_id, field="ismap_registration_number", severity="error",
                            message=f"ismap_kind is {e.ismap_kind} but no registration number", cites=cites))
        return out
    expires = e.ismap_expires_on
    if listing is not None and e.ismap_registration_number:
        listed = listing.get(e.ismap_registration_number)
        if listed is None:
            out.append(RowIssue(row=n, service_id=e.service_id, field="ismap_registration_number",
                                severity="warning", cites=cites,
                                message=f"{e.ismap_registration_number} is not on the imported ISMAP list"))
            return out
        expires = listed.expires_on
        if listed.expires_on != e.ismap_expires_on:
            out.append(RowIssue(row=n, service_id=e.service_id, field="ismap_expires_on", severity="warning",
                                cites=cites, message=f"the list says the registration expires on "
                                                     f"{listed.expires_on}; the register has {e.ismap_expires_on}"))
        if listed.liu != (e.ismap_kind == "ismap_liu"):
            out.append(RowIssue(row=n, service_id=e.service_id, field="ismap_kind", severity="warning", cites=cites,
                                message=f"the list has this registration as {'ismap_liu' if listed.liu else 'ismap'}"))
    state, left = expiry_state(expires, as_of, warn_days)
    if e.status == "approved" and state == "expired" and expires is not None:
        out.append(RowIssue(row=n, service_id=e.service_id, field="ismap_expires_on", severity="error",
                            cites=cites, message=f"ISMAP registration expired on {expires.isoformat()}"))
    elif e.status == "approved" and state == "expiring":
        out.append(RowIssue(row=n, service_id=e.service_id, field="ismap_expires_on", severity="warning",
                            cites=cites, message=f"ISMAP registration expires in {left} days"))
    return out


def match_domain(entries: Sequence[RegisterEntry], host: str) -> RegisterEntry | None:
    """The entry a hostname belongs to: exact match, else the longest ``*.`` suffix match."""
    h = host.strip().lower().rstrip(".")
    best: tuple[int, RegisterEntry] | None = None
    for e in entries:
        for d in e.domains:
            if d == h:
                return e
            if d.startswith("*.") and (h.endswith(d[1:]) or h == d[2:]) and (best is None or len(d) > best[0]):
                best = (len(d), e)
    return best[1] if best else None
