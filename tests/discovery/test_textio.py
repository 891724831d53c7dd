"""Gzip, encodings and streams: the parts users meet first."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from kijun.discovery.catalog import Catalog
from kijun.discovery.engine import LogInput, scan

CSV_JA = "timestamp,user,src_ip,host\n2024-05-01T10:00:00+09:00,山田太郎,10.0.0.1,www.chatwork.com\n"


def test_gzip_detected_by_magic_not_name(tmp_path: Path, catalog: Catalog) -> None:
    line = "1714525200.000 5 10.0.0.1 TCP_TUNNEL/200 10 CONNECT www.dropbox.com:443 tanaka HIER_DIRECT/1.1.1.1 -\n"
    log = tmp_path / "access.log.1"  # no .gz suffix on purpose
    log.write_bytes(gzip.compress((line * 1000).encode()))
    r = scan([log], catalog=catalog)
    assert r.sources[0].compressed is True
    assert r.app("dropbox").transactions == 1000


def test_cp932_csv(tmp_path: Path, catalog: Catalog) -> None:
    log = tmp_path / "export.csv"
    log.write_bytes(CSV_JA.encode("cp932"))
    r = scan([log], catalog=catalog)
    assert r.sources[0].encoding == "cp932"
    assert r.users[0].user == "山田太郎"
    assert r.app("chatwork").users == 1


def test_utf8_bom_and_gzip_cp932_stream(catalog: Catalog) -> None:
    bom = io.BytesIO(b"\xef\xbb\xbf" + CSV_JA.encode("utf-8"))
    gz = io.BytesIO(gzip.compress(CSV_JA.encode("cp932")))
    r = scan([LogInput(bom, "upload-1.csv"), LogInput(gz, "upload-2.csv.gz")], catalog=catalog)
    assert [(s.source, s.encoding, s.compressed) for s in r.sources] == [
        ("upload-1.csv", "utf-8-sig", False),
        ("upload-2.csv.gz", "cp932", True),
    ]
    assert r.app("chatwork").transactions == 2
    assert [u.user for u in r.users] == ["山田太郎"]
    assert not bom.closed  # the caller's stream is the caller's to close


def test_stray_bytes_cost_one_line_not_the_scan(tmp_path: Path, catalog: Catalog) -> None:
    good = b"1714525200.000 5 10.0.0.1 TCP_TUNNEL/200 10 CONNECT slack.com:443 - HIER_DIRECT/1.1.1.1 -\n"
    log = tmp_path / "mixed.log"
    log.write_bytes(good * 3 + b"\xff\xfe\xfa garbage \x81\n" + good)
    r = scan([log], catalog=catalog)
    assert r.app("slack").transactions == 4
    assert r.totals.malformed == 1


def test_overlong_line_is_cut_and_counted_once(tmp_path: Path, catalog: Catalog) -> None:
    good = "1714525200.000 5 10.0.0.1 TCP_TUNNEL/200 10 CONNECT slack.com:443 - HIER_DIRECT/1.1.1.1 -\n"
    log = tmp_path / "huge-line.log"
    log.write_text(good * 2 + "x" * (3 * 1024 * 1024 + 17) + "\n" + good)
    r = scan([log], catalog=catalog)
    s = r.sources[0]
    assert (s.lines, s.events, s.malformed) == (4, 3, 1)
    assert s.malformed_samples[0].line == 3 and len(s.malformed_samples[0].text) == 300


def test_cp932_after_an_ascii_head(tmp_path: Path, catalog: Catalog) -> None:
    ascii_rows = "".join(f"2024-05-01T10:00:00+09:00,user{i},10.0.0.1,zoom.us\n" for i in range(12000))
    data = (
        ("timestamp,user,src_ip,host\n" + ascii_rows).encode()
        + CSV_JA.splitlines()[1].encode("cp932")
        + b"\n"
    )
    assert len(data) > 256 * 1024
    log = tmp_path / "late-japanese.csv"
    log.write_bytes(data)
    r = scan([log], catalog=catalog)
    assert r.user("山田太郎") is not None
    assert r.totals.malformed == 0


def test_text_stream_input(catalog: Catalog) -> None:
    r = scan([LogInput(io.StringIO(CSV_JA), "pasted.csv")], catalog=catalog)
    assert r.app("chatwork").users == 1 and r.sources[0].encoding == "text"


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path, catalog: Catalog) -> None:
    line = "1714525200.000 5 10.0.0.1 TCP_TUNNEL/200 10 CONNECT www.dropbox.com:443 tanaka HIER_DIRECT/1.1.1.1 -\n"
    data = gzip.compress((line * 20000).encode())
    log = tmp_path / "rotating.log.gz"
    log.write_bytes(data[: len(data) // 2])
    r = scan([log], catalog=catalog)
    s = r.sources[0]
    assert s.error is not None and "ended early" in s.error
    assert 0 < s.events < 20000 and s.lines == s.events + s.malformed + sum(s.skipped.values())
    assert r.app("dropbox").transactions == s.events
    assert r.to_dict()["sources"][0]["error"] == s.error


def test_empty_file_is_not_an_error(tmp_path: Path, catalog: Catalog) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    r = scan([empty], catalog=catalog)
    assert (r.sources[0].lines, r.totals.events) == (0, 0)
