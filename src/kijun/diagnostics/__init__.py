"""Continuous diagnostics (常時システム診断・対処): inventory, vulnerability feeds, matching, SSVC.

Pure engine (no Django, no network, no clock). Entry points: :func:`kijun.diagnostics.engine.run`
for programmatic use and :data:`kijun.diagnostics.cli.app` for the ``kijun vuln`` command group.
See docs/diagnostics.md.
"""

from .cpe import Cpe, CpeError, Relation, is_superset_or_equal, name_relation, parse_cpe
from .engine import Feeds, Finding, Result, result_json, run
from .epss import load_epss
from .inventory import Inventory, load_inventory
from .jvn import load_jvn
from .jvn_text import parse_version_text
from .kev import load_kev
from .matcher import CompiledFeed, InventoryIndex, match_nvd
from .nvd import load_adp_ssvc, load_nvd
from .osv import load_osv
from .prioritise import Decision, Outcome, decide
from .records import CveRecord, InventoryItem
from .versions import Scheme, compare_versions, version_key
from .winmap import ProgramMapper

__all__ = [
    "CompiledFeed",
    "Cpe",
    "CpeError",
    "CveRecord",
    "Decision",
    "Feeds",
    "Finding",
    "Inventory",
    "InventoryIndex",
    "InventoryItem",
    "Outcome",
    "ProgramMapper",
    "Relation",
    "Result",
    "Scheme",
    "compare_versions",
    "decide",
    "is_superset_or_equal",
    "load_adp_ssvc",
    "load_epss",
    "load_inventory",
    "load_jvn",
    "load_kev",
    "load_nvd",
    "load_osv",
    "match_nvd",
    "name_relation",
    "parse_cpe",
    "parse_version_text",
    "result_json",
    "run",
    "version_key",
]
