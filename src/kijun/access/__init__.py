"""Zero-trust dynamic access control (R7 7.3): Cedar policy model, decision engine and PDP.

Pure engine (no Django): readable rules -> Cedar (``rules``), policy sources and validation
(``policy``), compile-once/evaluate-many decisions (``engine``), signed bundles (``bundle``),
continuous re-evaluation (``reeval``), the PDP state and ASGI server (``pdp``, ``server``).
"""

from .engine import Engine, PreparedPolicy, load_engine
from .model import AccessRequest, Decision
from .policy import PolicyError, PolicySource, default_source, load_policy_dir, validate_source
from .reeval import Signal, reevaluate
from .rules import Rule, RuleError, RuleSet, load_rules, ruleset_to_cedar

__all__ = [
    "AccessRequest",
    "Decision",
    "Engine",
    "PolicyError",
    "PolicySource",
    "PreparedPolicy",
    "Rule",
    "RuleError",
    "RuleSet",
    "Signal",
    "default_source",
    "load_engine",
    "load_policy_dir",
    "load_rules",
    "reevaluate",
    "ruleset_to_cedar",
    "validate_source",
]
