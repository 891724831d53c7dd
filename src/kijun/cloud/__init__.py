"""External and cloud service use (R7 §4.2): ISMAP list, use-decision engine, lifecycle
duties and the register of approved services. Pure engine: no Django import."""

from kijun.cloud.approval import Approval, ApprovalError, approve
from kijun.cloud.engine import Assessment, Condition, Engine, Reason, assess
from kijun.cloud.ismap import IsmapEntry, IsmapImport, RowError, parse_csv_bytes, parse_file, parse_xlsx_bytes
from kijun.cloud.ismap_diff import IsmapDiff, diff_entries, expiry_warnings
from kijun.cloud.lifecycle import ChecklistItem, Duty, checklist, complete, overdue
from kijun.cloud.policy import UsePolicy, load_policy
from kijun.cloud.register import (
    RegisterEntry,
    check_register,
    dump_csv,
    dump_yaml,
    load_register,
    match_domain,
)
from kijun.cloud.request import InformationItem, IsmapClaim, ServiceFacts, SystemRef, TaskSpec, UseRequest

__all__ = [
    "Approval",
    "ApprovalError",
    "Assessment",
    "ChecklistItem",
    "Condition",
    "Duty",
    "Engine",
    "InformationItem",
    "IsmapClaim",
    "IsmapDiff",
    "IsmapEntry",
    "IsmapImport",
    "Reason",
    "RegisterEntry",
    "RowError",
    "ServiceFacts",
    "SystemRef",
    "TaskSpec",
    "UseRequest",
    "UsePolicy",
    "approve",
    "assess",
    "check_register",
    "checklist",
    "complete",
    "diff_entries",
    "dump_csv",
    "dump_yaml",
    "expiry_warnings",
    "load_policy",
    "load_register",
    "match_domain",
    "overdue",
    "parse_csv_bytes",
    "parse_file",
    "parse_xlsx_bytes",
]
