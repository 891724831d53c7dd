"""Shadow-IT discovery: proxy/DNS logs in, a CASB-style report of cloud-service use out.

Pure engine (no Django): ``scan`` takes paths, directories, binary streams or line iterables and
returns a ``Report``; the CLI (``kijun.discovery.cli:app``) and the web view both call it.
See docs/discovery.md.
"""

from kijun.discovery.catalog import App, Catalog, Category, load_catalog, parse_catalog
from kijun.discovery.engine import LogInput, ScanOptions, ScanProgress, pseudonymise, scan
from kijun.discovery.export import write_csv, write_csv_stream, write_xlsx
from kijun.discovery.matcher import Match, Matcher
from kijun.discovery.model import (
    FORMAT_NAMES,
    DiscoveryError,
    FormatDetectionError,
    LogEvent,
    MalformedSample,
    ParseStats,
)
from kijun.discovery.register import Register, RegisterEntry, load_register, parse_register
from kijun.discovery.report import RISK_NOTES, SCHEMA_VERSION, AppUsage, Report, UserUsage
from kijun.discovery.timeparse import parse_tz

__all__ = [
    "FORMAT_NAMES",
    "RISK_NOTES",
    "SCHEMA_VERSION",
    "App",
    "AppUsage",
    "Catalog",
    "Category",
    "DiscoveryError",
    "FormatDetectionError",
    "LogEvent",
    "LogInput",
    "MalformedSample",
    "Match",
    "Matcher",
    "ParseStats",
    "Register",
    "RegisterEntry",
    "Report",
    "ScanOptions",
    "ScanProgress",
    "UserUsage",
    "load_catalog",
    "load_register",
    "parse_catalog",
    "parse_register",
    "parse_tz",
    "pseudonymise",
    "scan",
    "write_csv",
    "write_csv_stream",
    "write_xlsx",
]
