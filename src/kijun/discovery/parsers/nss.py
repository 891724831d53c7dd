"""Zscaler NSS web logs: the admin's own feed template, or key=value / JSON feeds.

NSS has no fixed layout. With ``--nss-template`` (e.g. ``%s{time}\\t%s{login}\\t%s{eurl}\\t...``) the
template is compiled to one regular expression. Without it, lines are read as JSON (optionally
wrapped as ``{"sourcetype": ..., "event": {...}}``) or as ``key=value`` pairs (tab separated, or
space separated with optional double quotes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.parsers.base import Parser, ParserOptions, clean, host_from_url, share, to_int

SPEC = re.compile(r"%[-0-9.]*[a-z]{1,3}\{(\w+)\}")
KV = re.compile(r'(?<!\w)(\w+)=("[^"]*"|\S*)')  # the look-behind keeps findall linear
_KNOWN = frozenset(("eurl", "url", "login", "reqsize", "respsize", "cip", "urlcat", "appname"))


def compile_template(template: str) -> re.Pattern[str]:
    """Turn an NSS feed template into a regex with one named group per (first) specifier."""
    text = template.replace("\\t", "\t")
    out: list[str] = []
    seen: set[str] = set()
    pos = 0
    specs = list(SPEC.finditer(text))
    for i, m in enumerate(specs):
        out.append(re.escape(text[pos : m.start()]))
        name = m.group(1)
        follow = text[m.end() : specs[i + 1].start()] if i + 1 < len(specs) else text[m.end() :]
        # A value cannot contain a non-space separator (tab, comma, pipe): matching it as a negated
        # class keeps the regex linear on hostile lines. Space-separated values may contain spaces.
        hard_sep = bool(follow) and (not follow[0].isspace() or follow[0] == "\t")
        value = f"[^{re.escape(follow[0])}\\n]*" if hard_sep else ".*?"
        out.append(f"(?P<{name}>{value})" if name not in seen else f"(?:{value})")
        seen.add(name)
        pos = m.end()
    if not seen:
        raise ValueError("NSS template has no %s{field} specifiers")
    out.append(re.escape(text[pos:]))
    try:
        return re.compile("".join(out) + r"\s*\Z")
    except re.error as exc:  # e.g. a field name starting with a digit is not a valid group name
        raise ValueError(f"NSS template: {exc}") from None


def template_share(template: str, head: Sequence[str]) -> float:
    """Share of the non-blank ``head`` lines that ``template`` reads: how a custom feed format
    (which has no shape auto-detection could know) is recognised."""
    pattern = compile_template(template)
    lines = [line.rstrip("\r\n")[:4096] for line in head if line.strip()]  # like detect_format
    return sum(1 for line in lines if pattern.match(line)) / len(lines) if lines else 0.0


def _kv(line: str) -> dict[str, str]:
    if "\t" in line:
        pairs = (p.partition("=") for p in line.split("\t"))
        return {k.strip(): v.strip() for k, eq, v in pairs if eq}
    return {
        k: v[1:-1] if v.startswith('"') and v.endswith('"') and len(v) > 1 else v for k, v in KV.findall(line)
    }


def _looks_nss(line: str) -> bool:
    s = line.strip()
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except ValueError:
            return False
        if not isinstance(obj, dict):
            return False
        inner = obj.get("event", obj)
        return isinstance(inner, dict) and ("eurl" in inner or "zscalernss" in str(obj.get("sourcetype", "")))
    keys = set(_kv(s))
    return "eurl" in keys or ("login" in keys and len(keys & _KNOWN) >= 3)


class NssParser(Parser):
    name = "nss"
    description = "Zscaler NSS web feed (template via --nss-template, or key=value / JSON)"

    def __init__(self, options: ParserOptions | None = None) -> None:
        super().__init__(options)
        tpl = self.options.nss_template
        self.template = compile_template(tpl) if tpl else None

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        return share(head, sum(1 for line in head if _looks_nss(line)))

    def _fields(self, line: str) -> Mapping[str, object]:
        if self.template is not None:
            m = self.template.match(line)
            if m is None:
                raise ValueError("does not match the NSS template")
            return m.groupdict()
        s = line.strip()
        if s.startswith("{"):
            obj = json.loads(s)
            if not isinstance(obj, dict):
                raise ValueError("JSON line is not an object")
            inner = obj.get("event", obj)
            if not isinstance(inner, dict):
                raise ValueError("JSON 'event' is not an object")
            return inner
        return _kv(s)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        any_time = self.times.any
        events = 0
        n = 0
        for n, line in enumerate(lines, 1):  # noqa: B007
            line = line.rstrip("\r\n")
            if not line.strip():
                stats.skip("blank")
                continue
            try:
                f = self._fields(line)
                url = str(f.get("eurl") or f.get("url") or f.get("host") or f.get("ehost") or "")
                host = host_from_url(url.strip())
                if not host:
                    stats.bad(n, "no eurl/url/host value", line)
                    continue
                when = f.get("epochtime") or f.get("time")
                ts = any_time(str(when)) if when not in (None, "", "-") else None
                yield LogEvent(
                    ts,
                    clean(str(f.get("login") or f.get("user") or "")),
                    clean(str(f.get("cip") or f.get("cintip") or f.get("srcip") or "")),
                    host,
                    clean(str(f.get("reqmethod") or f.get("method") or "")),
                    to_int(_s(f.get("respcode") or f.get("status"))),
                    to_int(_s(f.get("reqsize"))),
                    to_int(_s(f.get("respsize"))),
                    "nss",
                )
                events += 1
            except (ValueError, KeyError, IndexError, TypeError, UnicodeError) as exc:
                stats.bad(n, f"bad line: {exc}", line)
        stats.lines += n
        stats.events += events


def _s(value: object) -> str | None:
    return None if value is None else str(value).strip()
