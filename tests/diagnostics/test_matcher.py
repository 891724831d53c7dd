"""The compiled, indexed matcher must agree with a brute-force evaluation of NVD semantics."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.diagnostics.cpe import Cpe, is_superset_or_equal, parse_cpe
from kijun.diagnostics.matcher import CompiledFeed, InventoryIndex, effective_version, match_nvd
from kijun.diagnostics.records import Configuration, CpeMatch, CveRecord, InventoryItem, Node
from kijun.diagnostics.versions import generic_key

PRODUCTS = [("a", "openbsd", "openssh"), ("a", "openssl", "openssl"), ("o", "linksys", "fw"), ("h", "linksys", "box")]
VERSIONS = ["1.0", "1.0.2", "1.0.2k", "1.0.2zf", "2.0", "2.0rc1", "8.5", "9.8", "9.8.1", "10.0.19045.3570", "-", "*"]
UPDATES = ["*", "*", "p1", "-"]


def _cpe(r: random.Random, target: bool) -> str:
    part, vendor, product = r.choice(PRODUCTS)
    version = r.choice(VERSIONS if not target else VERSIONS[:-1])
    update = r.choice(UPDATES)
    if not target and r.random() < 0.05:
        product = product[:3] + "*"
    return f"cpe:2.3:{part}:{vendor}:{product}:{version}:{update}:*:*:*:*:*:*"


def _crit(r: random.Random, vulnerable: bool) -> CpeMatch:
    crit = _cpe(r, False)
    c = parse_cpe(crit)
    kw: dict[str, str] = {}
    if c.version == "\x00ANY" and r.random() < 0.8:
        if r.random() < 0.6:
            kw["start_including" if r.random() < 0.5 else "start_excluding"] = r.choice(VERSIONS[:10])
        if r.random() < 0.8:
            kw["end_including" if r.random() < 0.5 else "end_excluding"] = r.choice(VERSIONS[:10])
    return CpeMatch(crit, c, vulnerable, f"id-{r.random()}", **kw)  # type: ignore[arg-type]


def _feed(r: random.Random, n: int) -> list[CveRecord]:
    recs = []
    for i in range(n):
        confs = []
        for _ in range(r.randint(1, 2)):
            if r.random() < 0.3:  # running-on
                nodes = (Node("OR", False, tuple(_crit(r, True) for _ in range(r.randint(1, 2)))),
                         Node("OR", r.random() < 0.2, tuple(_crit(r, False) for _ in range(r.randint(1, 2)))))
                confs.append(Configuration("AND", False, nodes))
            else:
                op = "AND" if r.random() < 0.1 else "OR"
                confs.append(Configuration("OR", False, (Node(op, False, tuple(_crit(r, True) for _ in range(r.randint(1, 3)))),)))
        recs.append(CveRecord(f"CVE-2000-{i:04d}", None, None, None, "", None, (), tuple(confs), "h"))
    return recs


def _crit_ok(m: CpeMatch, t: Cpe) -> bool:
    if not is_superset_or_equal(m.cpe, t):
        return False
    if not m.has_range:
        return True
    ev = effective_version(t)
    if ev is None:
        return False
    k = generic_key(ev)
    return not (
        (m.start_including and k < generic_key(m.start_including))
        or (m.start_excluding and k <= generic_key(m.start_excluding))
        or (m.end_including and k > generic_key(m.end_including))
        or (m.end_excluding and k >= generic_key(m.end_excluding))
    )


def naive(recs: list[CveRecord], items: list[InventoryItem]) -> set[tuple[str, str]]:
    hosts: dict[str, list[Cpe]] = {}
    for it in items:
        assert it.cpe is not None
        hosts.setdefault(it.host, []).append(it.cpe)
    out = set()
    for rec in recs:
        for conf in rec.configurations:
            for h, cpes in hosts.items():
                def node_ok(n: Node, cpes: list[Cpe] = cpes) -> bool:
                    sat = [any(_crit_ok(m, c) for c in cpes) for m in n.matches]
                    return (all(sat) if n.operator == "AND" else any(sat)) != n.negate
                res = [node_ok(n) for n in conf.nodes]
                ok = all(res) if conf.operator == "AND" else any(res)
                vuln_hit = any(m.vulnerable and any(_crit_ok(m, c) for c in cpes)
                               for n in conf.nodes if not n.negate for m in n.matches)
                if ok and vuln_hit:
                    out.add((h, rec.id))
    return out


def fast(recs: list[CveRecord], items: list[InventoryItem]) -> set[tuple[str, str]]:
    inv = InventoryIndex(items)
    out = set()
    for m in match_nvd(CompiledFeed(recs), inv):
        for h in m.hosts if m.hosts is not None else inv.hosts[m.target]:
            out.add((h, m.cve))
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_indexed_matches_brute_force(seed: int) -> None:
    r = random.Random(seed)
    recs = _feed(r, 30)
    items = [InventoryItem(f"h{r.randint(0, 6)}", "t", "cpe", "x", "", cpe=parse_cpe(_cpe(r, True), allow_wildcards=False))
             for _ in range(40)]
    assert fast(recs, items) == naive(recs, items)


def test_delta_feed_is_subset_of_full() -> None:
    r = random.Random(7)
    recs = _feed(r, 200)
    items = [InventoryItem(f"h{r.randint(0, 20)}", "t", "cpe", "x", "", cpe=parse_cpe(_cpe(r, True), allow_wildcards=False))
             for _ in range(300)]
    full = fast(recs, items)
    delta = recs[150:]
    ids = {x.id for x in delta}
    assert fast(delta, items) == {p for p in full if p[1] in ids}
    assert full  # the generator really produces matches


def test_criteria_shared_across_cves_compiled_once() -> None:
    m = CpeMatch("cpe:2.3:a:v:p:*:*:*:*:*:*:*:*", parse_cpe("cpe:2.3:a:v:p:*:*:*:*:*:*:*:*"), True, "x",
                 end_excluding="2.0")
    recs = [CveRecord(f"CVE-1-{i}", None, None, None, "", None, (),
                      (Configuration("OR", False, (Node("OR", False, (m,)),)),), "h") for i in range(5)]
    feed = CompiledFeed(recs)
    assert feed.n_criteria == 1
    inv = InventoryIndex([InventoryItem("h", "t", "cpe", "p", "1.0", cpe=parse_cpe("cpe:2.3:a:v:p:1.0:*:*:*:*:*:*:*"))])
    assert {x.cve for x in match_nvd(feed, inv)} == {f"CVE-1-{i}" for i in range(5)}
