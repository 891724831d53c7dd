"""Zeek ``dns.log``, ``http.log`` and ``ssl.log``: TSV with a ``#fields`` header, or JSON lines.

The host is the DNS ``query``, the HTTP ``host`` header or the TLS ``server_name`` (SNI). The log
kind is inferred from which of those fields exist, so renamed files still parse. Reverse lookups
(``*.arpa``) and TLS sessions without SNI are counted as skipped, not as events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.parsers.base import Parser, clean, host_from_url, share, to_int

_HOST_KEYS = ("query", "host", "server_name")


def _kind(names: Iterable[str]) -> str:
    """dns/http/ssl from field names; JSON lines omit unset fields, hence the fallbacks."""
    keys = set(names)
    if "query" in keys or "qtype_name" in keys:
        return "dns"
    if "server_name" in keys or "ssl_history" in keys or ("established" in keys and "version" in keys):
        return "ssl"
    if "host" in keys or "method" in keys or "trans_depth" in keys:
        return "http"
    return ""


def _is_zeek_json(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    return isinstance(obj, dict) and "id.orig_h" in obj and bool(_kind(obj))


class ZeekParser(Parser):
    name = "zeek"
    description = "Zeek dns/http/ssl logs (TSV with #fields header, or JSON lines)"

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        if any(line.startswith("#separator") for line in head) and any(
            line.startswith("#fields") for line in head
        ):
            return 1.0
        return share(head, sum(1 for line in head if _is_zeek_json(line)))

    def _event(self, get: Any, kind: str) -> LogEvent | str:
        """Build an event from a field getter; a string result is the reason to skip."""
        host_raw = clean(
            str(get("query" if kind == "dns" else "server_name" if kind == "ssl" else "host") or "")
        )
        if host_raw is None:
            return "no_host"
        host = host_from_url(host_raw)
        if not host:
            raise ValueError(f"bad host {host_raw!r}")
        if host.endswith(".arpa"):
            return "reverse_dns"
        ts_raw = get("ts")
        if isinstance(ts_raw, int | float):
            ts: float | None = self.times.epoch(repr(float(ts_raw)))
        elif ts_raw in (None, "-", ""):
            ts = None
        else:
            text = str(ts_raw)
            ts = self.times.epoch(text) if text[:1].isdigit() and "-" not in text else self.times.iso(text)
        method = status = up = down = None
        if kind == "http":
            method = clean(str(get("method") or ""))
            status = _num(get("status_code"))
            up = _num(get("request_body_len"))
            down = _num(get("response_body_len"))
        return LogEvent(
            ts,
            None,
            clean(str(get("id.orig_h") or "")),
            host,
            method,
            status,
            up,
            down,
            f"zeek-{kind}",
        )

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        events = 0
        n = 0
        fields: list[str] = []
        kind = ""
        sep = "\t"
        for n, line in enumerate(lines, 1):  # noqa: B007
            line = line.rstrip("\r\n")
            try:
                if line.startswith("#"):
                    if line.startswith("#separator"):
                        token = line.split(" ", 1)[1].strip() if " " in line else "\\x09"
                        sep = (
                            bytes(token, "ascii").decode("unicode_escape")
                            if token.startswith("\\x")
                            else token
                        )
                    elif line.startswith("#fields"):
                        fields = line.split(sep)[1:]
                        kind = _kind(fields)
                    stats.skip("header")
                    continue
                if not line.strip():
                    stats.skip("blank")
                    continue
                if line.startswith("{"):
                    obj = json.loads(line)
                    if not isinstance(obj, dict):
                        raise ValueError("JSON line is not an object")
                    jkind = _kind(obj)
                    if not jkind:
                        raise ValueError("JSON object is not a Zeek dns/http/ssl record")
                    result = self._event(obj.get, jkind)
                else:
                    if not kind:
                        stats.bad(n, "data line before a #fields header naming query/host/server_name", line)
                        continue
                    values = line.split(sep)
                    if len(values) != len(fields):
                        stats.bad(n, f"{len(values)} values for {len(fields)} fields", line)
                        continue
                    row = dict(zip(fields, values, strict=True))
                    result = self._event(row.get, kind)
            except (ValueError, KeyError, IndexError, TypeError, UnicodeError) as exc:
                stats.bad(n, f"bad line: {exc}", line)
                continue
            if isinstance(result, str):
                stats.skip(result)
                continue
            yield result
            events += 1
        stats.lines += n
        stats.events += events


def _num(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    return to_int(str(value))
