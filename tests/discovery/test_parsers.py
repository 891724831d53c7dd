"""Per-format details beyond the golden files: detection, templates, hosts, malformed sampling."""

from __future__ import annotations

import pytest

from kijun.discovery.model import FormatDetectionError, ParseStats
from kijun.discovery.parsers import PARSERS, NssParser, ParserOptions, W3CParser, ZeekParser, detect_format
from kijun.discovery.parsers.base import host_from_url
from kijun.discovery.parsers.nss import compile_template
from kijun.discovery.parsers.squid import SquidParser


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("www.dropbox.com:443", "www.dropbox.com"),
        ("https://user:pw@Files.Box.com:8443/a?b#c", "files.box.com"),
        ("http://[2001:db8::1]:443/x", "2001:db8::1"),
        ("2001:db8::2", "2001:db8::2"),
        ("example.com.", "example.com"),
        ("/relative/only", ""),
        ("", ""),
        ('bad"host', ""),
    ],
)
def test_host_from_url(url: str, host: str) -> None:
    assert host_from_url(url) == host


def test_detection_error_names_every_format() -> None:
    with pytest.raises(FormatDetectionError) as err:
        detect_format(["hello world", "this is not a log"], "notes.txt")
    msg = str(err.value)
    assert msg.startswith("notes.txt: could not detect the log format")
    for cls in PARSERS:
        assert cls.name in msg


def test_detection_needs_a_majority() -> None:
    squid = (
        "1714525200.123 245 10.1.2.3 TCP_TUNNEL/200 5123 CONNECT www.dropbox.com:443 - HIER_DIRECT/1.1.1.1 -"
    )
    assert detect_format([squid, "noise", squid]) is SquidParser
    with pytest.raises(FormatDetectionError):
        detect_format([squid, "noise", "more noise"])


def test_nss_user_template() -> None:
    tpl = r"%s{time}\t%s{login}\t%s{cip}\t%s{eurl}\t%d{reqsize}\t%d{respsize}\t%s{action}"
    parser = NssParser(ParserOptions(nss_template=tpl))
    stats = ParseStats("nss")
    lines = [
        "Wed May  1 01:00:00 2024\ttanaka\t10.1.2.3\twww.box.com/folder/1\t100\t2000\tAllowed",
        "Wed May  1 01:00:01 2024\ttanaka\t10.1.2.3",
    ]
    events = list(parser.parse(lines, stats))
    assert [(e.ts, e.user, e.host, e.bytes_up, e.bytes_down) for e in events] == [
        (1714525200.0, "tanaka", "www.box.com", 100, 2000)
    ]
    assert stats.malformed == 1 and stats.malformed_samples[0].line == 2


def test_nss_template_needs_specifiers() -> None:
    with pytest.raises(ValueError, match="no %s"):
        compile_template("just text")


def test_w3c_data_before_fields_and_field_change() -> None:
    lines = [
        "2024-05-01 01:00:00 10.0.0.1 example.com",
        "#Fields: date time c-ip cs-host",
        "2024-05-01 01:00:00 10.0.0.1 www.example.com",
        "#Fields: date time cs-uri c-ip",
        "2024-05-01 01:00:01 https://app.slack.com/x 10.0.0.2",
    ]
    stats = ParseStats("w3c")
    events = list(W3CParser().parse(lines, stats))
    assert [(e.host, e.src_ip) for e in events] == [
        ("www.example.com", "10.0.0.1"),
        ("app.slack.com", "10.0.0.2"),
    ]
    assert stats.malformed == 1 and "before any #Fields" in stats.malformed_samples[0].reason


def test_zeek_json_dns_and_http() -> None:
    lines = [
        '{"ts":1714525200.0,"id.orig_h":"10.0.0.1","query":"zoom.us","qtype_name":"A"}',
        '{"ts":1714525201.0,"id.orig_h":"10.0.0.1","method":"GET","host":"www.canva.com",'
        '"request_body_len":10,"response_body_len":20,"status_code":200}',
        "[1, 2]",
    ]
    assert detect_format(lines) is ZeekParser
    stats = ParseStats("z")
    events = list(ZeekParser().parse(lines, stats))
    assert [(e.host, e.format, e.bytes_up, e.status) for e in events] == [
        ("zoom.us", "zeek-dns", None, None),
        ("www.canva.com", "zeek-http", 10, 200),
    ]
    assert stats.malformed == 1


def test_malformed_samples_are_bounded_but_all_counted() -> None:
    stats = ParseStats("s", sample_limit=3)
    list(SquidParser().parse([f"bad line {i}" for i in range(10)], stats))
    assert stats.malformed == 10
    assert [s.line for s in stats.malformed_samples] == [1, 2, 3]


def test_squid_common_is_not_detected_as_combined() -> None:
    common = '10.1.2.3 - - [01/May/2024:10:00:00 +0900] "CONNECT slack.com:443 HTTP/1.1" 200 10'
    combined = common + ' "-" "UA" TCP_TUNNEL:HIER_DIRECT'
    assert detect_format([common]).name == "squid-common"
    assert detect_format([combined]).name == "squid-combined"


def test_hostile_long_lines_stay_linear() -> None:
    """Backtracking-prone inputs (many separators, no match) finish: the regexes are linear."""
    tpl = r"%s{time}\t%s{login}\t%s{eurl}\t%d{reqsize}"
    hostile = ["a\t" * 50_000, "x" * 200_000, "k=" * 50_000, '"' * 100_000]
    stats = ParseStats("nss")
    assert list(NssParser(ParserOptions(nss_template=tpl)).parse(hostile, stats)) == []
    assert stats.malformed == 4
    stats = ParseStats("kv")
    assert list(NssParser().parse(hostile, stats)) == []
    assert stats.malformed == 4
