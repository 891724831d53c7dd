"""OSCAL 1.1 exports: the standard as a catalog, an agency's 対策基準 as a tailoring profile.

Mapping: chapter and section (章・節) -> ``groups``; item (款), numbered group, lettered requirement
and chapter-1 definition -> nested ``controls`` (so a profile can select any requirement by id);
sub-items ((i), (ii)…) -> ``item`` parts.  OSCAL ids are tokens (no parentheses or colons), so the
standard's id is rewritten (``4.2.1(2)(c)`` -> ``c4.2.1_2_c``) and kept verbatim in the ``label``
prop.  Our summaries go in ``overview`` parts; the official wording appears as ``statement`` only
when the caller passes an import (it lives in the user's database, never in the repository).

Everything is deterministic: UUIDs are name-based (uuid5) and the timestamp is passed in.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .catalog import Catalog
from .ids import NodeKind, is_valid
from .import_official import OfficialImport
from .model import Node

OSCAL_VERSION = "1.1.2"
NS = "https://kijun.invalid/ns/oscal"  # kijun props/parts; RFC 2606 reserved host: an identifier, never fetched
_UUID_NS = uuid.UUID("6f1c1a4e-0c55-4b8e-9b1e-6b8a1f0c2d7a")


def oscal_id(node_id: str) -> str:
    """OSCAL token for a standard id: ``4`` -> ``ch4``, ``4.2`` -> ``s4.2``, ``4.2.1(2)(c)`` -> ``c4.2.1_2_c``.

    Definitions: ``1.3:cloud-services`` -> ``d1.3-cloud-services``.
    """
    head, _, term = node_id.partition(":")
    flat = head.replace("(", "_").replace(")", "")
    if term:
        return f"d{flat}-{term}"
    if "." not in head:
        return f"ch{head}"
    if head.count(".") == 1 and "(" not in head:
        return f"s{head}"
    return f"c{flat}"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "/".join(parts)))


def _ts(now: datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return now.isoformat(timespec="seconds")


def _prop(name: str, value: str, ns: bool = True) -> dict[str, str]:
    p = {"name": name, "value": " ".join(value.split())}
    if ns:
        p["ns"] = NS
    return p


def _control(cat: Catalog, n: Node, official: OfficialImport | None) -> dict[str, Any]:
    cid = oscal_id(n.id)
    props: list[dict[str, str]] = [
        _prop("label", n.id, ns=False),
        _prop("kind", n.kind.value),
        _prop("title-ja", n.title_ja),
        _prop("title-ja-status", n.title_ja_status),
        _prop("summary-status", n.summary_status),
    ]
    props += [_prop("responsible-role", r) for r in n.responsible_roles]
    props += [_prop("applies-to", t) for t in n.tags.applies_to]
    props += [_prop("lifecycle-phase", t) for t in n.tags.lifecycle_phase]
    children = cat.children(n.id)
    subitems = [c for c in children if c.kind is NodeKind.SUBITEM]
    overview: dict[str, Any] = {"id": f"{cid}_ovw", "name": "overview", "prose": n.summary_en}
    if subitems:
        overview["parts"] = [
            {"id": f"{oscal_id(s.id)}_ovw", "name": "item", "props": [_prop("label", s.id, ns=False)],
             "prose": s.summary_en}
            for s in subitems
        ]
    parts: list[dict[str, Any]] = [
        overview,
        {"id": f"{cid}_ovw-ja", "name": "overview-ja", "ns": NS, "prose": n.summary_ja},
    ]
    if n.purpose_en:
        parts.append({"id": f"{cid}_purpose", "name": "purpose", "ns": NS, "prose": n.purpose_en})
    if n.purpose_ja:
        parts.append({"id": f"{cid}_purpose-ja", "name": "purpose-ja", "ns": NS, "prose": n.purpose_ja})
    if official is not None and n.id in official.nodes and official.nodes[n.id].text:
        stm: dict[str, Any] = {"id": f"{cid}_smt", "name": "statement", "prose": official.nodes[n.id].text}
        sub_parts = [
            {"id": f"{oscal_id(s.id)}_smt", "name": "item", "props": [_prop("label", s.id, ns=False)],
             "prose": official.nodes[s.id].text}
            for s in subitems if s.id in official.nodes and official.nodes[s.id].text
        ]
        if sub_parts:
            stm["parts"] = sub_parts
        parts.insert(0, stm)
    ctl: dict[str, Any] = {"id": cid, "class": n.kind.value, "title": n.title_en, "props": props, "parts": parts}
    if n.related:
        ctl["links"] = [{"href": f"#{oscal_id(r)}", "rel": "related"} for r in n.related]
    kids = [_control(cat, c, official) for c in children if c.kind is not NodeKind.SUBITEM]
    if kids:
        ctl["controls"] = kids
    return ctl


def _group(cat: Catalog, n: Node, official: OfficialImport | None) -> dict[str, Any]:
    g: dict[str, Any] = {
        "id": oscal_id(n.id),
        "class": n.kind.value,
        "title": n.title_en,
        "props": [_prop("label", n.id, ns=False), _prop("title-ja", n.title_ja)],
        "parts": [
            {"id": f"{oscal_id(n.id)}_ovw", "name": "overview", "prose": n.summary_en},
            {"id": f"{oscal_id(n.id)}_ovw-ja", "name": "overview-ja", "ns": NS, "prose": n.summary_ja},
        ],
    }
    sub_groups = [c for c in cat.children(n.id) if c.kind is NodeKind.SECTION]
    controls = [c for c in cat.children(n.id) if c.kind is not NodeKind.SECTION]
    if sub_groups:
        g["groups"] = [_group(cat, c, official) for c in sub_groups]
    if controls:
        g["controls"] = [_control(cat, c, official) for c in controls]
    return g


def catalog_to_oscal(cat: Catalog, now: datetime, official: OfficialImport | None = None) -> dict[str, Any]:
    """The OSCAL catalog JSON document (``{"catalog": {...}}``)."""
    ed = cat.edition
    return {
        "catalog": {
            "uuid": _uuid("catalog", ed.code),
            "metadata": {
                "title": ed.title_en,
                "last-modified": _ts(now),
                "version": ed.code,
                "oscal-version": OSCAL_VERSION,
                "props": [
                    _prop("title-ja", ed.title_ja),
                    _prop("decided", ed.decided),
                    _prop("in-force", ed.in_force),
                ],
                "remarks": "Structure and English titles follow the official tentative translation; "
                "Japanese titles are an unofficial translation; overview parts are kijun's own summaries.",
            },
            "groups": [_group(cat, c, official) for c in cat.of_kind(NodeKind.CHAPTER)],
        }
    }


class AgencyParameter(BaseModel):
    """An agency-specific value for a requirement (e.g. a review period)."""

    model_config = ConfigDict(extra="forbid")

    control: str
    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    label: str
    value: str


class AgencyAddition(BaseModel):
    """The agency's own wording or note added to a requirement."""

    model_config = ConfigDict(extra="forbid")

    control: str
    text_ja: str = ""
    text_en: str = ""


#: Ids of agency-specific clauses: a letter first and at least one hyphen ("DEMO-1", "MIC-4.2-1"), so they
#: can never collide with the standard's ids (digits first) and stay valid OSCAL tokens.
AGENCY_CLAUSE_ID = r"^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9.-]{0,40}$"


class AgencyClause(BaseModel):
    """An agency-specific clause with its own id, hung under a provision of the standard (``anchor``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=AGENCY_CLAUSE_ID)
    anchor: str
    title: str = Field(min_length=1)
    text_ja: str = ""
    text_en: str = ""


class AgencyPolicy(BaseModel):
    """An agency's 対策基準 as a tailoring of the standard (input of :func:`profile_to_oscal`)."""

    model_config = ConfigDict(extra="forbid")

    agency: str
    title: str
    version: str = "1"
    catalog_href: str = "kijun-catalog-r7.json"
    include: list[str] | None = None  # None = every requirement of the standard
    exclude: list[str] = []
    parameters: list[AgencyParameter] = []
    additions: list[AgencyAddition] = []
    exclude_reasons: dict[str, str] = {}  # excluded id -> why it does not apply
    clauses: list[AgencyClause] = []


class PolicyError(ValueError):
    """The policy refers to ids the catalog does not have."""


def check_policy(policy: AgencyPolicy, cat: Catalog) -> list[str]:
    """Every problem with the policy's ids, as readable messages (empty when fine)."""
    problems: list[str] = []
    refs: list[tuple[str, str]] = [("include", i) for i in policy.include or []]
    refs += [("exclude", i) for i in policy.exclude]
    refs += [(f"parameters[{k}].control", p.control) for k, p in enumerate(policy.parameters)]
    refs += [(f"additions[{k}].control", a.control) for k, a in enumerate(policy.additions)]
    refs += [(f"clauses[{k}].anchor", c.anchor) for k, c in enumerate(policy.clauses)]
    problems += [f"exclude_reasons: {nid!r} is not excluded" for nid in policy.exclude_reasons
                 if nid not in policy.exclude]
    seen: set[str] = set()
    for c in policy.clauses:
        if c.id in seen:
            problems.append(f"clauses: duplicate id {c.id!r}")
        seen.add(c.id)
    params: set[tuple[str, str]] = set()
    for p in policy.parameters:
        if (p.control, p.id) in params:
            problems.append(f"parameters: duplicate id {p.id!r} for {p.control!r}")
        params.add((p.control, p.id))
    for where, nid in refs:
        if not is_valid(nid):
            problems.append(f"{where}: bad id syntax {nid!r}")
        elif nid not in cat:
            problems.append(f"{where}: id {nid!r} is not in catalog {cat.edition.code}")
        elif cat.get(nid).kind in (NodeKind.CHAPTER, NodeKind.SECTION, NodeKind.SUBITEM):
            problems.append(f"{where}: {nid!r} is a {cat.get(nid).kind.value}; select items, groups or requirements")
    return problems


def selected_ids(policy: AgencyPolicy, cat: Catalog) -> list[str]:
    """The requirement-level ids the profile keeps, in document order."""
    base = policy.include if policy.include is not None else [n.id for n in cat.of_kind(NodeKind.REQUIREMENT)]
    drop = set(policy.exclude)
    return [i for i in base if i not in drop]


def profile_to_oscal(policy: AgencyPolicy, cat: Catalog, now: datetime) -> dict[str, Any]:
    """The OSCAL profile JSON document for an agency policy.  Raises :class:`PolicyError`."""
    problems = check_policy(policy, cat)
    if problems:
        raise PolicyError("; ".join(problems))
    imp: dict[str, Any] = {"href": policy.catalog_href}
    if policy.include is None and not policy.exclude:
        imp["include-all"] = {}
    else:
        imp["include-controls"] = [{"with-ids": [oscal_id(i) for i in selected_ids(policy, cat)]}]
    alters: dict[str, dict[str, Any]] = {}
    set_params: list[dict[str, Any]] = []
    for p in policy.parameters:
        a = alters.setdefault(p.control, {"control-id": oscal_id(p.control), "adds": []})
        pid = param_id(p.control, p.id)
        a["adds"].append({"position": "ending", "params": [
            {"id": pid, "label": p.label, "values": [p.value], "props": [_prop("label", p.control, ns=False)]}
        ]})
        set_params.append({"param-id": pid, "label": p.label, "values": [p.value]})
    for k, add in enumerate(policy.additions):
        a = alters.setdefault(add.control, {"control-id": oscal_id(add.control), "adds": []})
        parts = []
        if add.text_ja:
            parts.append({"id": f"{oscal_id(add.control)}_agency-{k}-ja", "name": "agency-wording-ja",
                          "ns": NS, "prose": add.text_ja})
        if add.text_en:
            parts.append({"id": f"{oscal_id(add.control)}_agency-{k}-en", "name": "agency-wording",
                          "ns": NS, "prose": add.text_en})
        if parts:
            a["adds"].append({"position": "ending", "parts": parts})
    for c in policy.clauses:
        a = alters.setdefault(c.anchor, {"control-id": oscal_id(c.anchor), "adds": []})
        a["adds"].append({"position": "ending", "parts": [_clause_part(c)]})
    meta_props = [_prop("agency", policy.agency), _prop("base-edition", cat.edition.code)]
    for nid in policy.exclude:
        prop = _prop("excluded-control", nid)
        if policy.exclude_reasons.get(nid):
            prop["remarks"] = policy.exclude_reasons[nid]
        meta_props.append(prop)
    profile: dict[str, Any] = {
        "uuid": _uuid("profile", policy.agency, policy.title, policy.version),
        "metadata": {
            "title": policy.title,
            "last-modified": _ts(now),
            "version": policy.version,
            "oscal-version": OSCAL_VERSION,
            "props": meta_props,
        },
        "imports": [imp],
        "merge": {"as-is": True},
    }
    alter_list = [a for a in alters.values() if a["adds"]]
    modify: dict[str, Any] = {}
    if set_params:
        modify["set-parameters"] = set_params
    if alter_list:
        modify["alters"] = alter_list
    if modify:
        profile["modify"] = modify
    return {"profile": profile}


def param_id(control: str, local_id: str) -> str:
    """Profile-wide unique OSCAL param id: the agency's short id scoped by its control."""
    return f"{oscal_id(control)}_prm_{local_id}"


def _clause_part(c: AgencyClause) -> dict[str, Any]:
    """An agency clause as an ``agency-clause`` part (OSCAL profiles cannot add controls)."""
    part: dict[str, Any] = {"id": f"agency-{c.id}", "name": "agency-clause", "ns": NS, "title": c.title,
                            "props": [_prop("label", c.id, ns=False)]}
    if c.text_ja:
        part["prose"] = c.text_ja
    if c.text_en:
        part["parts"] = [{"id": f"agency-{c.id}-en", "name": "agency-clause-en", "ns": NS, "prose": c.text_en}]
    return part
