"""Fuzz targets: one named function per parser of untrusted input in kijun.

Each target is ``(data: bytes) -> None``. It hands the bytes to one parser the way kijun's own
entry points do (a file on disk for path-based loaders, bytes or decoded text otherwise) and
swallows only the error types that parser documents for bad input. Any other exception (an
``AttributeError`` on a list where a mapping was expected, an ``EOFError`` from a truncated gzip,
a ``RecursionError``...) escapes: that is a crash, because a user would see a traceback instead
of "file X, line N: what is wrong".

Why these error types: the domain packages document them in their docstrings and CLIs.
* catalog: ``OfficialTextError`` / ``CatalogError`` (both ``ValueError``).
* discovery: ``DiscoveryError`` (an ``Exception``, *not* a ``ValueError``); log parsers must never
  raise at all ("Must never raise on bad lines", ``parsers/base.py``).
* diagnostics: ``FeedError`` (a ``ValueError``); ``CpeError`` for CPE strings.
* classification and cloud: "Every input error subclasses ValueError", plus ``yaml.YAMLError``
  (``classification/clikit.py: INPUT_ERRORS``).
* access: ``BundleError``, ``RuleError``, ``PolicyError``, ``PepError`` (all ``ValueError``); the PDP
  server answers 400 for ``ValueError``/``ValidationError`` while parsing a request body.

The registry is an immutable mapping built once at import; scratch files live in one temporary
directory per process (removed at exit), so targets can run millions of times without litter.
"""

from __future__ import annotations

import atexit
import functools
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from fuzz import seeds

# --------------------------------------------------------------------------------------- helpers


@functools.cache
def _scratch_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="kijun-fuzz-"))
    atexit.register(shutil.rmtree, d, True)
    return d


def _file(name: str, data: bytes) -> Path:
    """Write ``data`` to a scratch file called ``name`` (overwritten on every call)."""
    p = _scratch_dir() / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def _text(data: bytes) -> str:
    """Bytes → text the way a forgiving reader would: UTF-8, bad bytes replaced."""
    return data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Target:
    """A fuzz target: ``fn(data)`` raises only on a crash; ``modules`` are the parser modules it drives."""

    name: str
    fn: Callable[[bytes], None]
    modules: tuple[str, ...]
    seeds: Callable[[], list[bytes]] = field(default=list)
    doc: str = ""


# --------------------------------------------------------------------------------------- catalog


def catalog_official_text(data: bytes) -> None:
    """Official-text import: file reading (gzip, UTF-8/CP932) + layout detection + both layouts forced."""
    from kijun.catalog.import_official import OfficialTextError, parse_official, parse_official_file
    from kijun.catalog.layouts import ENGLISH, JAPANESE

    try:
        parse_official_file(_file("official.txt", data))
    except OfficialTextError:
        pass
    text = _text(data)
    for layout in (ENGLISH, JAPANESE):
        try:
            parse_official(text, layout=layout)
        except OfficialTextError:
            pass


def catalog_data_dir(data: bytes) -> None:
    """A catalog data directory (edition.yaml + ch*.yaml) with a fuzzed chapter file."""
    from kijun.catalog.loader import CatalogError, default_data_dir, load_catalog

    d = _scratch_dir() / "catalog"
    d.mkdir(exist_ok=True)
    ed = d / "edition.yaml"
    if not ed.exists():
        ed.write_bytes((default_data_dir() / "edition.yaml").read_bytes())
    (d / "ch1.yaml").write_bytes(data)
    try:
        load_catalog(d)
    except CatalogError:
        pass


# ------------------------------------------------------------------------------------- discovery


def catalog_policy_parameters(data: bytes) -> None:
    """The 対策基準 clause editor's parameter box (``id | label | value`` per line)."""
    from kijun.catalog.tailoring import parse_parameters

    params, problems = parse_parameters(_text(data))
    assert all(p.id for p in params) and all(isinstance(x, str) for x in problems)


def _lines(data: bytes) -> list[str]:
    return _text(data).splitlines(keepends=True)


def _discovery_format(fmt: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from kijun.discovery.model import ParseStats
        from kijun.discovery.parsers import ParserOptions, parser_class

        cls = parser_class(fmt)
        stats = ParseStats("<fuzz>")
        # nss without a template uses its built-in default; the parser must never raise on lines
        for _ in cls(ParserOptions()).parse(_lines(data), stats):
            pass
        cls.sniff(_lines(data)[:50])

    run.__name__ = f"discovery_{fmt.replace('-', '_')}"
    run.__doc__ = f"Discovery log parser {fmt!r} on decoded lines (must never raise)."
    return run


@functools.cache
def _saas_catalog() -> Any:
    from kijun.discovery.catalog import load_catalog

    return load_catalog()


def discovery_scan(data: bytes) -> None:
    """The whole scan of an uploaded log stream: gzip sniffing, encoding, format detection, parse, report."""
    from kijun.discovery.engine import LogInput, ScanOptions, scan
    from kijun.discovery.model import DiscoveryError

    try:
        scan(
            [LogInput(io.BytesIO(data), name="upload.log")],
            catalog=_saas_catalog(),
            options=ScanOptions(pause_gc=False),
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    except DiscoveryError:
        pass


def discovery_register(data: bytes) -> None:
    """Sanctioned-app register, CSV and YAML (and content-guessed) from a file."""
    from kijun.discovery.model import DiscoveryError
    from kijun.discovery.register import load_register

    for name in ("register.csv", "register.yaml", "register.dat"):
        try:
            load_register(_file(name, data))
        except DiscoveryError:
            pass


def discovery_app_catalog(data: bytes) -> None:
    """An agency's own SaaS app catalog file (``--catalog``)."""
    from kijun.discovery.catalog import load_catalog
    from kijun.discovery.model import DiscoveryError

    try:
        load_catalog(_file("apps.yaml", data))
    except DiscoveryError:
        pass


# ----------------------------------------------------------------------------------- diagnostics


def _feed(loader: Callable[[Path], object], name: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from kijun.diagnostics._io import FeedError

        try:
            loader(_file(name, data))
        except FeedError:
            pass

    return run


def _nvd(p: Path) -> object:
    from kijun.diagnostics.nvd import load_nvd

    return load_nvd([p])


def _adp(p: Path) -> object:
    from kijun.diagnostics.nvd import load_adp_ssvc

    return load_adp_ssvc([p])


def _jvn(p: Path) -> object:
    from kijun.diagnostics.jvn import load_jvn

    return load_jvn([p])


def _nvd_raw(p: Path) -> object:
    from kijun.diagnostics.serial import load_nvd_raw

    return load_nvd_raw([p])


def _osv_raw(p: Path) -> object:
    from kijun.diagnostics.serial import load_osv_raw

    return load_osv_raw([p])


def _kev(p: Path) -> object:
    from kijun.diagnostics.kev import load_kev

    return load_kev(p)


def _epss(p: Path) -> object:
    from kijun.diagnostics.epss import load_epss

    return load_epss(p)


def _osv(p: Path) -> object:
    from kijun.diagnostics.osv import load_osv

    return load_osv([p])


def _inventory(p: Path) -> object:
    from kijun.diagnostics.inventory import load_inventory

    return load_inventory([p])


def diagnostics_program_map(data: bytes) -> None:
    """An agency's own Windows-programs-to-CPE mapping (``kijun vuln match --mapping``)."""
    from kijun.diagnostics.winmap import ProgramMapper

    try:
        mapper = ProgramMapper.from_file(_file("mapping.yaml", data))
        mapper.map("Example App 1.0", "Example KK", "1.0")
    except ValueError:  # the CLI reports ValueError from a mapping file as "mapping: ..."
        pass


def diagnostics_cpe(data: bytes) -> None:
    """CPE 2.3 formatted strings and CPE 2.2 URIs (from feeds and inventory CSV columns)."""
    from kijun.diagnostics.cpe import CpeError, parse_cpe, parse_cpe22

    for line in _text(data).splitlines() or [""]:
        for parse in (parse_cpe, parse_cpe22):
            try:
                parse(line)
            except CpeError:
                pass
        try:
            parse_cpe(line, allow_wildcards=False)
        except CpeError:
            pass


def diagnostics_version_text(data: bytes) -> None:
    """JVN's Japanese affected-version text and every version-ordering scheme."""
    from kijun.diagnostics.jvn_text import parse_version_text
    from kijun.diagnostics.versions import Scheme, compare_versions

    text = _text(data)
    parse_version_text(text)
    parts = text.splitlines() or [""]
    a, b = parts[0], parts[-1]
    for scheme in Scheme:
        compare_versions(scheme, a, b)


# ---------------------------------------------------------------------------- classification/cloud


def _input_errors() -> tuple[type[BaseException], ...]:
    from kijun.classification.clikit import INPUT_ERRORS

    errors: tuple[type[BaseException], ...] = INPUT_ERRORS
    return errors


def classification_data_yaml(data: bytes) -> None:
    """An agency's own guide / handling-restriction vocabulary / system-class standard YAML."""
    from kijun.classification.guide import load_guide
    from kijun.classification.restrictions import load_vocabulary
    from kijun.classification.system_class import load_standard

    p = _file("classification.yaml", data)
    for load in (load_guide, load_vocabulary, load_standard):
        try:
            load(p)
        except _input_errors():
            pass


@functools.cache
def _guide() -> Any:
    from kijun.classification.guide import load_guide

    return load_guide()


def classification_answers(data: bytes) -> None:
    """A guide answers file (``kijun classify guide --answers``): YAML → answers → walk the tree."""
    from kijun.classification.guide import answers_from_data, walk
    from kijun.classification.textio import read_text

    try:
        doc = yaml.safe_load(read_text(_file("answers.yaml", data)))
        answers, proposed = answers_from_data(doc, "answers.yaml")
        walk(_guide(), answers, proposed)
    except _input_errors():
        pass


def cloud_ismap_csv(data: bytes) -> None:
    from kijun.cloud.ismap import parse_file

    try:
        parse_file(_file("ismap.csv", data))
    except _input_errors():
        pass


def cloud_ismap_xlsx(data: bytes) -> None:
    from kijun.cloud.ismap import parse_xlsx_bytes

    try:
        parse_xlsx_bytes(data, "ismap.xlsx")
    except _input_errors():
        pass


def cloud_spreadsheet(data: bytes) -> None:
    """An uploaded system ledger or information-asset list (CSV in UTF-8/CP932, or XLSX) → validated rows."""
    from kijun.classification.restrictions import load_vocabulary
    from kijun.cloud.sheets import (
        ASSET_ALIASES,
        ASSET_REQUIRED,
        LEDGER_ALIASES,
        LEDGER_REQUIRED,
        asset_rows,
        ledger_rows,
    )
    from kijun.cloud.tabular import read_table

    for aliases, required in ((LEDGER_ALIASES, LEDGER_REQUIRED), (ASSET_ALIASES, ASSET_REQUIRED)):
        try:
            table = read_table(data, "upload", aliases, required)
        except _input_errors():
            continue
        if aliases is LEDGER_ALIASES:
            ledger_rows(table, ["A", "B", "C"])
        else:
            asset_rows(table, load_vocabulary())


def _cloud_register(name: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from kijun.cloud.register import check_register, load_register

        try:
            imp = load_register(_file(name, data))
            check_register(imp.entries, date(2026, 1, 1))
        except _input_errors():
            pass

    return run


def cloud_data_yaml(data: bytes) -> None:
    """An agency's own cloud policy / rules / lifecycle duties YAML."""
    from kijun.cloud.lifecycle import load_duties
    from kijun.cloud.policy import load_policy
    from kijun.cloud.rules import load_rules

    p = _file("cloud.yaml", data)
    for load in (load_policy, load_rules, load_duties):
        try:
            load(p)
        except _input_errors():
            pass


@functools.cache
def _cloud_engine() -> Any:
    from kijun.cloud.engine import Engine

    return Engine.default()


def cloud_request(data: bytes) -> None:
    """A use application YAML (``kijun cloud assess``): parse, validate, assess with the default rules."""
    from kijun.classification.textio import read_text
    from kijun.cloud.request import UseRequest

    try:
        doc = yaml.safe_load(read_text(_file("request.yaml", data)))
        if not isinstance(doc, dict):
            return
        doc.pop("policy", None)
        req = UseRequest.model_validate(doc)
        _cloud_engine().assess(req, as_of=req.as_of or date(2026, 1, 1))
    except _input_errors():
        pass


# ---------------------------------------------------------------------------------------- access


def access_bundle(data: bytes) -> None:
    """A policy bundle (tar.gz) as fetched by a PDP, unsigned and with a verification key."""
    from kijun.access.bundle import BundleError, read_bundle

    for key in (None, seeds.bundle_public_key()):
        try:
            read_bundle(data, key)
        except BundleError:
            pass


def access_rules(data: bytes) -> None:
    """Readable rules YAML compiled to Cedar, then the Cedar policy checks."""
    from kijun.access.policy import PolicyError, compile_rules_text, policy_infos

    try:
        policy_infos(compile_rules_text(_text(data), "fuzz.rules.yaml"))
    except PolicyError:
        pass


def access_cedar(data: bytes) -> None:
    """A hand-written ``*.cedar`` policy file in a policy directory."""
    from kijun.access.policy import PolicyError, load_policy_dir

    d = _scratch_dir() / "policy"
    d.mkdir(exist_ok=True)
    (d / "fuzz.cedar").write_bytes(data)
    try:
        load_policy_dir(d)
    except PolicyError:
        pass


def access_routes(data: bytes) -> None:
    from kijun.access.pep import PepError, load_routes

    try:
        load_routes(_text(data))
    except PepError:
        pass


@functools.cache
def _access_engine() -> Any:
    from kijun.access.engine import load_engine
    from kijun.access.policy import default_source

    return load_engine(default_source(), clock=lambda: datetime(2026, 1, 1, 3, tzinfo=UTC), new_id=lambda: "fuzz")


def access_request_json(data: bytes) -> None:
    """``POST /v1/decide`` and ``/v1/signals`` bodies: JSON → model (400 on error) → decision."""
    from pydantic import ValidationError

    from kijun.access.model import AccessRequest
    from kijun.access.reeval import signals_from_json

    try:
        doc = json.loads(data)
    except ValueError:
        return
    try:
        req = AccessRequest.model_validate(doc)
    except (ValueError, ValidationError):
        req = None
    if req is not None:
        _access_engine().decide(req)
    try:
        signals_from_json(doc)
    except (ValueError, ValidationError):
        pass


@functools.cache
def _routes() -> Any:
    from kijun.access.pep import load_routes

    return load_routes(seeds.access_routes_text())


def access_pep_headers(data: bytes) -> None:
    """A proxied request (nginx auth_request / Envoy ext_authz): method, URI and X-Kijun-* headers."""
    from kijun.access.pep import PepError, PepInput, request_from_headers

    lines = data.decode("latin-1").split("\n")
    method = lines[0] if lines else ""
    uri = lines[1] if len(lines) > 1 else "/"
    headers: dict[str, str] = {}
    for ln in lines[2:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    try:
        request_from_headers(PepInput(method, uri, headers), _routes())
    except PepError:
        pass


# -------------------------------------------------------------------------------------- registry


def _build() -> Mapping[str, Target]:
    from kijun.discovery.model import FORMAT_NAMES

    fmt_module = {
        "squid": "squid", "squid-common": "squid_common", "squid-combined": "squid_common", "w3c": "w3c",
        "zeek": "zeek", "bind": "bind", "nss": "nss", "csv": "csvlog",
    }
    items: list[Target] = [
        Target("catalog.official_text", catalog_official_text,
               ("kijun.catalog.import_official", "kijun.catalog.layouts"), seeds.official_text),
        Target("catalog.data_dir", catalog_data_dir, ("kijun.catalog.loader",), seeds.catalog_chapter),
        Target("catalog.policy_parameters", catalog_policy_parameters, ("kijun.catalog.tailoring",),
               seeds.policy_parameters),
    ]
    for fmt in FORMAT_NAMES:
        items.append(Target(f"discovery.{fmt}", _discovery_format(fmt),
                            (f"kijun.discovery.parsers.{fmt_module[fmt]}", "kijun.discovery.parsers.base",
                             "kijun.discovery.timeparse"),
                            functools.partial(seeds.discovery_logs, fmt)))
    items += [
        Target("discovery.scan", discovery_scan,
               ("kijun.discovery.engine", "kijun.discovery.textio", "kijun.discovery.parsers"),
               functools.partial(seeds.discovery_logs, None)),
        Target("discovery.register", discovery_register, ("kijun.discovery.register",), seeds.discovery_register),
        Target("discovery.app_catalog", discovery_app_catalog, ("kijun.discovery.catalog",), seeds.discovery_catalog),
        Target("diagnostics.nvd", _feed(_nvd, "nvd.json"), ("kijun.diagnostics.nvd", "kijun.diagnostics._io"),
               seeds.nvd),
        Target("diagnostics.nvd_raw", _feed(_nvd_raw, "nvd.json"), ("kijun.diagnostics.serial",), seeds.nvd),
        Target("diagnostics.osv_raw", _feed(_osv_raw, "osv.json"), ("kijun.diagnostics.serial",), seeds.osv),
        Target("diagnostics.adp_ssvc", _feed(_adp, "cve5.json"), ("kijun.diagnostics.nvd",), seeds.adp),
        Target("diagnostics.jvn", _feed(_jvn, "jvn.xml"), ("kijun.diagnostics.jvn",), seeds.jvn),
        Target("diagnostics.kev", _feed(_kev, "kev.json"), ("kijun.diagnostics.kev",), seeds.kev),
        Target("diagnostics.epss", _feed(_epss, "epss.csv"), ("kijun.diagnostics.epss",), seeds.epss),
        Target("diagnostics.osv", _feed(_osv, "osv.json"), ("kijun.diagnostics.osv",), seeds.osv),
        Target("diagnostics.osquery", _feed(_inventory, "osquery.log"), ("kijun.diagnostics.inventory",),
               seeds.osquery),
        Target("diagnostics.cyclonedx", _feed(_inventory, "bom.json"), ("kijun.diagnostics.inventory",),
               seeds.cyclonedx),
        Target("diagnostics.inventory_csv", _feed(_inventory, "inventory.csv"), ("kijun.diagnostics.inventory",),
               seeds.inventory_csv),
        Target("diagnostics.program_map", diagnostics_program_map, ("kijun.diagnostics.winmap",),
               seeds.program_map),
        Target("diagnostics.cpe", diagnostics_cpe, ("kijun.diagnostics.cpe",), seeds.cpe),
        Target("diagnostics.version_text", diagnostics_version_text,
               ("kijun.diagnostics.jvn_text", "kijun.diagnostics.versions"), seeds.version_text),
        Target("classification.data_yaml", classification_data_yaml,
               ("kijun.classification.guide", "kijun.classification.restrictions",
                "kijun.classification.system_class", "kijun.classification.datafile", "kijun.classification.textio"),
               functools.partial(seeds.package_yaml, "kijun.classification")),
        Target("classification.answers", classification_answers, ("kijun.classification.guide",),
               seeds.classification_answers),
        Target("cloud.ismap_csv", cloud_ismap_csv, ("kijun.cloud.ismap",), seeds.ismap_csv),
        Target("cloud.spreadsheet", cloud_spreadsheet, ("kijun.cloud.tabular", "kijun.cloud.sheets"),
               seeds.cloud_spreadsheets),
        Target("cloud.ismap_xlsx", cloud_ismap_xlsx, ("kijun.cloud.ismap",), seeds.ismap_xlsx),
        Target("cloud.register_yaml", _cloud_register("register.yaml"), ("kijun.cloud.register",),
               seeds.cloud_register_yaml),
        Target("cloud.register_csv", _cloud_register("register.csv"), ("kijun.cloud.register",),
               seeds.cloud_register_csv),
        Target("cloud.data_yaml", cloud_data_yaml, ("kijun.cloud.policy", "kijun.cloud.rules", "kijun.cloud.lifecycle"),
               functools.partial(seeds.package_yaml, "kijun.cloud")),
        Target("cloud.request", cloud_request, ("kijun.cloud.request",), seeds.cloud_requests),
        Target("access.bundle", access_bundle, ("kijun.access.bundle",), seeds.access_bundles),
        Target("access.rules", access_rules, ("kijun.access.rules", "kijun.access.policy"), seeds.access_rules),
        Target("access.cedar", access_cedar, ("kijun.access.policy",), seeds.access_cedar),
        Target("access.routes", access_routes, ("kijun.access.pep",), seeds.access_routes),
        Target("access.request_json", access_request_json,
               ("kijun.access.model", "kijun.access.reeval", "kijun.access.server"), seeds.access_requests),
        Target("access.pep_headers", access_pep_headers, ("kijun.access.pep",), seeds.access_pep),
    ]
    out = {}
    for t in items:
        assert t.name not in out, t.name
        out[t.name] = Target(t.name, t.fn, t.modules, t.seeds, (t.fn.__doc__ or "").strip().splitlines()[0]
                             if t.fn.__doc__ else "")
    return MappingProxyType(out)


TARGETS: Mapping[str, Target] = _build()


def iter_targets() -> Iterator[Target]:
    yield from TARGETS.values()


__all__ = ["TARGETS", "Target", "iter_targets"]
