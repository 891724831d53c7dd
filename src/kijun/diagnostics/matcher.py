"""NVD configuration matching: compile the feed once, index the inventory once, match many times.

Compile (:class:`CompiledFeed`): each distinct criterion (criteria string + its four range bounds)
is parsed once and indexed by ``(part, vendor, product)``; inside a product bucket criteria are
split into *exact* versions (dict lookup), *ranged/ANY* versions (evaluated by bisecting the
inventory's sorted versions, so one criterion costs O(log n) plus its hits) and *other* (NA or
wildcard versions, checked with full NISTIR 7696 rules). Criteria whose part/vendor/product carry
wildcards or ANY go to a small list checked against every product group.

Evaluate (:func:`match_nvd`): the inventory is deduplicated to distinct target CPEs
(:class:`InventoryIndex`); configurations that are a plain OR of vulnerable criteria produce a
match per distinct target (fanned out to all its hosts later). Configurations with AND nodes,
negation or ``vulnerable:false`` platform criteria ("running on/with") are evaluated per host,
because the platform must be present *on the same host* (grype #1349 ignores this).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ._io import paused_gc
from .cpe import ANY, NA, Cpe, Relation, compare_attr, is_superset_or_equal
from .records import CpeMatch, CveRecord, InventoryItem
from .versions import VersionKey, generic_key

_OK = (Relation.SUPERSET, Relation.EQUAL)
PVP = tuple[str, str, str]


def effective_version(cpe: Cpe) -> str | None:
    """Version used against range bounds: version plus a concrete update (``8.5`` + ``p1``)."""
    v = cpe.version
    if v in (ANY, NA):
        return None
    u = cpe.update
    return v if u in (ANY, NA) else f"{v}-{u}"


@dataclass(slots=True)
class Crit:
    id: int
    match: CpeMatch
    check: tuple[int, ...]  # attribute indices (beyond part/vendor/product/version) to compare
    lo: VersionKey | None
    lo_incl: bool
    hi: VersionKey | None
    hi_incl: bool
    uses: list[tuple[int, int]] = field(default_factory=list)  # (config id, node index)


@dataclass(slots=True)
class Config:
    cve: str
    index: int  # position in the CVE's configurations
    operator: str
    negate: bool
    nodes: list[tuple[str, bool, list[int], list[bool]]]  # (operator, negate, crit ids, vulnerable)
    simple: bool


@dataclass(slots=True)
class Bucket:
    exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    ranged: list[int] = field(default_factory=list)
    other: list[int] = field(default_factory=list)


class CompiledFeed:
    """NVD configurations compiled for matching. Build once per feed (or per daily delta)."""

    def __init__(self, records: Iterable[CveRecord]) -> None:
        with paused_gc():
            self._build(records)

    def _build(self, records: Iterable[CveRecord]) -> None:
        self.crits: list[Crit] = []
        self.configs: list[Config] = []
        self.buckets: dict[PVP, Bucket] = {}
        self.wild: list[int] = []
        self.cves: dict[str, CveRecord] = {}
        seen: dict[tuple[str, str | None, str | None, str | None, str | None, bool], int] = {}
        for rec in records:
            self.cves[rec.id] = rec
            for ci, conf in enumerate(rec.configurations):
                nodes = []
                for node in conf.nodes:
                    ids, vulns = [], []
                    for m in node.matches:
                        key = (m.criteria.lower(), m.start_including, m.start_excluding,
                               m.end_including, m.end_excluding, m.vulnerable)
                        cid = seen.get(key)
                        if cid is None:
                            cid = seen[key] = self._add(m)
                        ids.append(cid)
                        vulns.append(m.vulnerable)
                    nodes.append((node.operator, node.negate, ids, vulns))
                simple = (conf.operator == "OR" or len(nodes) == 1) and not conf.negate and all(
                    (op == "OR" or len(ids) == 1) and not neg and all(vs) for op, neg, ids, vs in nodes
                )
                cfg_id = len(self.configs)
                self.configs.append(Config(rec.id, ci, conf.operator, conf.negate, nodes, simple))
                for ni, (_, _, ids, _) in enumerate(nodes):
                    for cid in ids:
                        self.crits[cid].uses.append((cfg_id, ni))

    def _add(self, m: CpeMatch) -> int:
        c = m.cpe
        cid = len(self.crits)
        check = tuple(i for i in range(4, 11) if c.values[i] != ANY)
        lo = hi = None
        lo_incl = hi_incl = True
        if m.start_including is not None:
            lo = generic_key(m.start_including)
        elif m.start_excluding is not None:
            lo, lo_incl = generic_key(m.start_excluding), False
        if m.end_including is not None:
            hi = generic_key(m.end_including)
        elif m.end_excluding is not None:
            hi, hi_incl = generic_key(m.end_excluding), False
        self.crits.append(Crit(cid, m, check, lo, lo_incl, hi, hi_incl))
        if any(c.wild[i] is not None or c.values[i] == ANY for i in range(3)):
            self.wild.append(cid)
            return cid
        b = self.buckets.setdefault((c.part, c.vendor, c.product), Bucket())
        if c.version == ANY:
            b.ranged.append(cid)
        elif c.version == NA or c.wild[3] is not None:
            b.other.append(cid)
        else:
            b.exact[c.version].append(cid)
        return cid

    @property
    def n_criteria(self) -> int:
        return len(self.crits)


@dataclass(slots=True)
class Group:
    """Distinct targets of one (part, vendor, product), sorted by effective version."""

    sorted_ids: list[int] = field(default_factory=list)
    keys: list[VersionKey] = field(default_factory=list)
    unversioned: list[int] = field(default_factory=list)  # version ANY/NA: no range can apply
    by_version: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


class InventoryIndex:
    """Inventory deduplicated to distinct target CPEs, each with the hosts that have it.

    ``keep_items=False`` keeps only hosts per target (enough for fan-out by host), which halves
    memory for 10M-row inventories.
    """

    def __init__(self, items: Iterable[InventoryItem], keep_items: bool = True) -> None:
        with paused_gc():
            self._build(items, keep_items)

    def _build(self, items: Iterable[InventoryItem], keep_items: bool) -> None:
        self.targets: list[Cpe] = []
        self.hosts: list[set[str]] = []
        self.items: list[list[InventoryItem]] = []
        pos: dict[tuple[str, ...], int] = {}
        # Fast path: parsed CPEs are usually shared objects (parse cache). Every Cpe whose id()
        # is recorded is kept alive in ``alive`` so the id cannot be reused while we build.
        by_obj: dict[int, int] = {}
        alive: list[Cpe] = []
        hosts, targets, its = self.hosts, self.targets, self.items
        for it in items:
            cpe = it.cpe
            if cpe is None:
                continue
            hit = by_obj.get(id(cpe))
            if hit is not None:
                tid = hit
            else:
                found = pos.get(cpe.values)
                if found is None:
                    tid = pos[cpe.values] = len(targets)
                    targets.append(cpe)
                    hosts.append(set())
                    its.append([])
                else:
                    tid = found
                by_obj[id(cpe)] = tid
                alive.append(cpe)
            hosts[tid].add(it.host)
            if keep_items:
                its[tid].append(it)
        self.groups: dict[PVP, Group] = {}
        staged: dict[PVP, list[tuple[VersionKey, int]]] = defaultdict(list)
        for tid, t in enumerate(self.targets):
            g = self.groups.setdefault((t.part, t.vendor, t.product), Group())
            g.by_version[t.version].append(tid)
            ev = effective_version(t)
            if ev is None:
                g.unversioned.append(tid)
            else:
                staged[(t.part, t.vendor, t.product)].append((generic_key(ev), tid))
        for pvp, pairs in staged.items():
            pairs.sort(key=lambda p: p[0])
            g = self.groups[pvp]
            g.keys = [k for k, _ in pairs]
            g.sorted_ids = [t for _, t in pairs]


@dataclass(frozen=True, slots=True)
class NvdMatch:
    """A vulnerable criterion satisfied by one distinct target (on ``hosts``, or all its hosts)."""

    target: int
    cve: str
    config_index: int
    criterion: CpeMatch
    hosts: frozenset[str] | None = None  # None: every host that has the target
    platform: tuple[str, ...] = ()  # non-vulnerable criteria that made an AND config true


def _attrs_ok(crit: Crit, t: Cpe) -> bool:
    c = crit.match.cpe
    for i in crit.check:
        if compare_attr(c.values[i], c.wild[i], t.values[i], None) not in _OK:
            return False
    return True


def _in_range(crit: Crit, key: VersionKey) -> bool:
    if crit.lo is not None and (key < crit.lo or (key == crit.lo and not crit.lo_incl)):
        return False
    return not (crit.hi is not None and (key > crit.hi or (key == crit.hi and not crit.hi_incl)))


def _slice(crit: Crit, keys: Sequence[VersionKey]) -> tuple[int, int]:
    lo = 0 if crit.lo is None else (bisect_left if crit.lo_incl else bisect_right)(keys, crit.lo)
    hi = len(keys) if crit.hi is None else (bisect_right if crit.hi_incl else bisect_left)(keys, crit.hi)
    return lo, hi


def _full_check(crit: Crit, t: Cpe) -> bool:
    if not is_superset_or_equal(crit.match.cpe, t):
        return False
    if crit.lo is None and crit.hi is None:
        return True
    ev = effective_version(t)
    return ev is not None and _in_range(crit, generic_key(ev))


def criterion_hits(feed: CompiledFeed, inv: InventoryIndex) -> dict[int, list[int]]:
    """crit id → distinct target ids that it matches (NISTIR 7696 attributes + range bounds)."""
    hits: dict[int, list[int]] = defaultdict(list)
    for pvp, g in inv.groups.items():
        b = feed.buckets.get(pvp)
        if b is not None:
            for cid in b.ranged:
                crit = feed.crits[cid]
                lo, hi = _slice(crit, g.keys)
                cands = g.sorted_ids[lo:hi]
                if crit.lo is None and crit.hi is None:
                    cands = cands + g.unversioned
                if crit.check:
                    cands = [t for t in cands if _attrs_ok(crit, inv.targets[t])]
                if cands:
                    hits[cid].extend(cands)
            for version, cids in b.exact.items():
                tids = g.by_version.get(version)
                if not tids:
                    continue
                for cid in cids:
                    crit = feed.crits[cid]
                    ok = [t for t in tids if _attrs_ok(crit, inv.targets[t])
                          and (crit.lo is None and crit.hi is None or _full_check(crit, inv.targets[t]))]
                    if ok:
                        hits[cid].extend(ok)
            for cid in b.other:
                crit = feed.crits[cid]
                ids = g.sorted_ids + g.unversioned
                ok = [t for t in ids if _full_check(crit, inv.targets[t])]
                if ok:
                    hits[cid].extend(ok)
        for cid in feed.wild:
            crit = feed.crits[cid]
            ok = [t for t in g.sorted_ids + g.unversioned if _full_check(crit, inv.targets[t])]
            if ok:
                hits[cid].extend(ok)
    return hits


def match_nvd(feed: CompiledFeed, inv: InventoryIndex) -> list[NvdMatch]:
    """All NVD matches of the inventory against the compiled feed."""
    with paused_gc():
        return _match_nvd(feed, inv)


def _match_nvd(feed: CompiledFeed, inv: InventoryIndex) -> list[NvdMatch]:
    hits = criterion_hits(feed, inv)
    out: list[NvdMatch] = []
    complex_cfgs: set[int] = set()
    seen: set[tuple[int, str, int]] = set()
    for cid, tids in hits.items():
        crit = feed.crits[cid]
        for cfg_id, _ in crit.uses:
            cfg = feed.configs[cfg_id]
            if not cfg.simple:
                complex_cfgs.add(cfg_id)
                continue
            for t in tids:
                k = (t, cfg.cve, cfg.index)
                if k not in seen:
                    seen.add(k)
                    out.append(NvdMatch(t, cfg.cve, cfg.index, crit.match))
    host_cache: dict[int, set[str]] = {}

    def hosts_of(cid: int) -> set[str]:
        hs = host_cache.get(cid)
        if hs is None:
            hs = set()
            for t in hits.get(cid, ()):
                hs |= inv.hosts[t]
            host_cache[cid] = hs
        return hs

    for cfg_id in sorted(complex_cfgs):
        out.extend(_eval_complex(feed, inv, feed.configs[cfg_id], hits, hosts_of))
    return out


def _eval_complex(feed: CompiledFeed, inv: InventoryIndex, cfg: Config, hits: dict[int, list[int]],
                  hosts_of: Callable[[int], set[str]]) -> list[NvdMatch]:
    cands: set[str] = set()
    for _, neg, ids, vulns in cfg.nodes:
        if not neg:
            for cid, v in zip(ids, vulns, strict=True):
                if v:
                    cands |= hosts_of(cid)
    out: list[NvdMatch] = []
    for host in sorted(cands):
        results = []
        for op, neg, ids, _ in cfg.nodes:
            sat = [host in hosts_of(cid) for cid in ids]
            r = all(sat) if op == "AND" else any(sat)
            results.append(r != neg)
        ok = all(results) if cfg.operator == "AND" else any(results)
        if ok == cfg.negate:
            continue
        platform = tuple(
            feed.crits[cid].match.criteria
            for _, neg, ids, vulns in cfg.nodes for cid, v in zip(ids, vulns, strict=True)
            if not v and host in hosts_of(cid)
        )
        for _, neg, ids, vulns in cfg.nodes:
            if neg:
                continue
            for cid, v in zip(ids, vulns, strict=True):
                if not v:
                    continue
                for t in hits.get(cid, ()):
                    if host in inv.hosts[t]:
                        out.append(NvdMatch(t, cfg.cve, cfg.index, feed.crits[cid].match, frozenset({host}), platform))
    return out
