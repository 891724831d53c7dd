"""The line formats DuckDB parses (``sqlparse``): per format, which lines SQL may take and how.

Each definition is a promise checked line by line against the format's Python parser (tests
``test_sqlparse*.py``): a line ``pattern`` accepts is one the parser turns into an event, and
``columns`` computes exactly that event's fields. Patterns stay conservative on purpose: an
unusual line costs only speed on the Python path, a wrong acceptance costs a wrong report.
"""

from __future__ import annotations

from dataclasses import dataclass

_FIELD = "[!-~]+"  # one printable-ASCII token: what str.split() yields on such a line, nothing more
# a token that is not exactly ``NONE`` (RE2 has no look-ahead): Squid's no-request records are
# parser skips, so they must not reach SQL
_NOT_NONE = "(?:[!-~]{1,3}|[!-~]{5,}|[!-MO-~][!-~]{3}|N[!-NP-~][!-~]{2}|NO[!-MO-~][!-~]|NON[!-DF-~])"
_HOST = "[A-Za-z0-9_-][A-Za-z0-9_.-]*"


def _url(rest: str) -> str:
    """An absolute URL whose authority is a plain host (no user info, no IPv6 brackets) with an
    optional numeric port and then ``[/?#]`` + ``rest``, or a bare ``host[:port]`` CONNECT target.
    For these, ``host_from_url`` reduces to "the host characters after ``://`` (or from the
    start), lower-cased, trailing dots removed"."""
    return f"(?:[A-Za-z][A-Za-z0-9+.-]*://{_HOST}(?::[0-9]*)?(?:[/?#]{rest})?|{_HOST}(?::[0-9]*)?)"


_URL = _url("[!-~]*")
_HOST_SQL = (  # the host of a URL matched by _URL: authority before [/?#], port cut, lower case
    "rtrim(lower(split_part(CASE WHEN contains({u}, '://') THEN split_part(split_part(split_part("
    "split_part({u}, '://', 2), '/', 1), '?', 1), '#', 1) ELSE {u} END, ':', 1)), '.')"
)


@dataclass(frozen=True)
class FastFormat:
    """How DuckDB parses one line format.

    ``pattern`` (RE2, matched against the whole line) selects the lines SQL parses; ``tokens`` is
    a SQL expression over ``line`` computed once per line (``p`` below); ``columns`` selects
    ``ts, "user", src_ip, host, bytes_up, bytes_down`` from ``line`` and ``p``.
    """

    name: str
    pattern: str
    tokens: str
    columns: str


def _squid_native() -> FastFormat:
    # ts, padded duration, client, code/status (status digits after the first slash, or no
    # slash), size >= 0, method (not NONE: Squid's no-request record is a parser skip), URL, then
    # user and anything else. Single spaces after the duration, no trailing blanks.
    # ``p`` holds the tokens after the timestamp, so p[k] is the parser's parts[k].
    pattern = (
        f"[0-9]{{1,10}}\\.[0-9]{{1,9}} +{_FIELD} {_FIELD} (?:[!-.0-~]*/[0-9]{{1,9}}|[!-.0-~]+) "
        f"[0-9]{{1,18}} {_NOT_NONE} {_URL}(?: {_FIELD})*"
    )
    tokens = "string_split(ltrim(substr(line, strpos(line, ' '))), ' ')"
    columns = f"""CAST(substr(line, 1, strpos(line, ' ') - 1) AS DOUBLE) AS ts,
       CASE WHEN len(p) > 6 AND p[7] <> '-' THEN p[7] END AS "user", p[2] AS src_ip,
       {_HOST_SQL.format(u="p[6]")} AS host, CAST(NULL AS BIGINT) AS bytes_up, CAST(p[4] AS BIGINT) AS bytes_down"""
    return FastFormat("squid", pattern, tokens, columns)


# CLF ``[01/May/2024:10:00:00 +0900]``: only real calendar dates (``TimeParser.clf`` rejects
# 31/Apr or 29/Feb/2023 as bad fields), years 1001-9998 (an offset cannot then leave the range
# ``timeparse`` accepts; 1000 and 9999 go to Python), months in any letter case, second 60 allowed.
_M31, _M30, _FEB = "(?i:jan|mar|may|jul|aug|oct|dec)", "(?i:apr|jun|sep|nov)", "(?i:feb)"
_YEAR = "(?:100[1-9]|10[1-9][0-9]|1[1-9][0-9]{2}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_LEAP = "(?:[1-9][0-9](?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26])00)"
_CLF_TIME = (
    f"(?:(?:0[1-9]|1[0-9]|2[0-8])/(?:{_M31}|{_M30}|{_FEB})/{_YEAR}|(?:29|30)/(?:{_M31}|{_M30})/{_YEAR}"
    f"|31/{_M31}/{_YEAR}|29/{_FEB}/{_LEAP}):(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)"
    " [+-](?:[01][0-9]|2[0-3])[0-5][0-9]"
)
_CLF_TS_SQL = (  # p[4] is "[DD/Mon/YYYY:HH:MM:SS", p[5] "+HHMM]": the fixed-offset arithmetic of clf()
    "CAST((make_date(CAST(substr(p[4], 9, 4) AS INTEGER),"
    " (strpos('janfebmaraprmayjunjulaugsepoctnovdec', lower(substr(p[4], 5, 3))) + 2) // 3,"
    " CAST(substr(p[4], 2, 2) AS INTEGER)) - DATE '1970-01-01') * 86400"
    " + CAST(substr(p[4], 14, 2) AS BIGINT) * 3600 + CAST(substr(p[4], 17, 2) AS BIGINT) * 60"
    " + CAST(substr(p[4], 20, 2) AS BIGINT) - CASE WHEN p[5][1] = '-' THEN -1 ELSE 1 END"
    " * (CAST(substr(p[5], 2, 2) AS BIGINT) * 3600 + CAST(substr(p[5], 4, 2) AS BIGINT) * 60) AS DOUBLE)"
)


def _squid_clf(name: str) -> FastFormat:
    # ``client ident user [time] "METHOD URL HTTP/x.y" status size``, optionally
    # `` "referer" "user agent"`` (no quote or backslash inside) and `` %Ss:%Sh``. The first three
    # fields hold no ``"[]``, so the line splits on single spaces at fixed places: p[k] below.
    # Both parsers take both layouts; only the name (and so auto-detection) differs.
    token, quoted = "[!#-Z\\\\^-~]+", '"[ !#-\\[\\]-~]*"'
    pattern = (
        f'{token} {token} {token} \\[{_CLF_TIME}\\] "[A-Z]+ {_url("[!#-~]*")} HTTP/[0-9]\\.[0-9]" '
        f"(?:[0-9]{{3}}|-) (?:[0-9]{{1,18}}|-)(?: {quoted} {quoted})?(?: [A-Z_]+(?::[A-Z_]+)?)?"
    )
    columns = f"""{_CLF_TS_SQL} AS ts, CASE WHEN p[3] NOT IN ('-', '(empty)') THEN p[3] END AS "user",
       p[1] AS src_ip, {_HOST_SQL.format(u="p[7]")} AS host, CAST(NULL AS BIGINT) AS bytes_up,
       CAST(nullif(p[10], '-') AS BIGINT) AS bytes_down"""
    return FastFormat(name, pattern, "string_split(line, ' ')", columns)


FAST_FORMATS: dict[str, FastFormat] = {
    f.name: f for f in (_squid_native(), _squid_clf("squid-common"), _squid_clf("squid-combined"))
}
