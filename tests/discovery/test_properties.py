"""Property tests: no parser raises on arbitrary input, and every line is accounted for."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kijun.discovery.model import FormatDetectionError, ParseStats
from kijun.discovery.parsers import PARSERS, NssParser, ParserOptions, detect_format
from kijun.discovery.parsers.base import host_from_url

# Lines built from log-ish fragments find deeper paths than uniform random text.
FRAGMENTS = st.sampled_from(
    ["1714525200.123", " ", "\t", "-", '"', "[", "]", "#Fields: date time cs-host", "#fields\tts\tquery",
     "#separator \\x09", "CONNECT", "www.dropbox.com:443", "http://", "TCP_MISS/200", "01/May/2024:10:00:00",
     "+0900", "{", "}", '"eurl":', "eurl=", "client", "#53", "query:", "IN A", "2024-05-01", "01:00:00",
     "host,url", ",", "999999999999999999999", "nan", "\x00", "é", "鈴木"]
)  # fmt: skip
LINE = st.one_of(st.text(max_size=120), st.lists(FRAGMENTS, max_size=14).map("".join))


@pytest.mark.parametrize("cls", [*PARSERS], ids=lambda c: c.name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(LINE, max_size=12))
def test_parsers_never_raise_and_account_for_every_line(cls: type, lines: list[str]) -> None:
    stats = ParseStats("prop")
    events = list(cls(ParserOptions()).parse(lines, stats))
    assert stats.lines == len(lines)
    assert stats.events == len(events)
    assert stats.lines == stats.events + stats.malformed + sum(stats.skipped.values())
    for e in events:
        assert e.host and e.host == e.host.lower()


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(LINE, max_size=12), tpl=st.lists(FRAGMENTS | st.just("%s{eurl}"), max_size=6))
def test_nss_template_parser_never_raises(lines: list[str], tpl: list[str]) -> None:
    template = "".join(tpl) + "%s{login} %s{eurl}"
    stats = ParseStats("prop")
    list(NssParser(ParserOptions(nss_template=template)).parse(lines, stats))
    assert stats.lines == len(lines)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(LINE, max_size=8))
def test_detection_returns_a_parser_or_the_named_error(lines: list[str]) -> None:
    try:
        assert detect_format(lines) in PARSERS
    except FormatDetectionError as exc:
        assert exc.tried == tuple(p.name for p in PARSERS)


@settings(max_examples=300, deadline=None)
@given(url=st.text(max_size=80))
def test_host_from_url_total(url: str) -> None:
    host = host_from_url(url)
    assert host == host.lower() and " " not in host


@settings(max_examples=400, deadline=None)
@given(line=st.lists(st.sampled_from(['"', " ", "a", "b c", "", "\t", "-", '""']), max_size=12).map("".join))
def test_w3c_fast_tokenizer_equals_regex(line: str) -> None:
    from kijun.discovery.parsers.w3c import TOKENS, _tokens

    assert _tokens(line) == [q if q or not b else b for q, b in TOKENS.findall(line)]
