"""Timestamp parsing for log formats, tuned for throughput.

Log timestamps repeat their date (and often their whole second) for thousands of lines, so each
``TimeParser`` caches the expensive part per instance (bounded) and does the cheap arithmetic per
line. All results are float seconds since the Unix epoch, UTC. Formats that carry no zone use
``default_tz`` (the operator states it; UTC unless told otherwise).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_CACHE_MAX = 100_000


def parse_tz(text: str) -> tzinfo:
    """``UTC``, ``Z``, ``+09:00``, ``+0900`` or ``-05:30`` to a fixed-offset zone."""
    t = text.strip()
    if t.upper() in ("UTC", "Z", "GMT"):
        return UTC
    sign = -1 if t.startswith("-") else 1
    digits = t.lstrip("+-").replace(":", "")
    if len(digits) not in (2, 4) or not digits.isdigit():
        raise ValueError(f"bad time zone offset {text!r}; use e.g. +09:00")
    hours, minutes = int(digits[:2]), int(digits[2:] or "0")
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad time zone offset {text!r}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


TS_MIN = -30610224000.0
"""1000-01-01T00:00:00Z. Times outside [TS_MIN, TS_MAX) make a line malformed: the report writes
times as four-digit-year ISO 8601 (Python's ``datetime`` stops at year 9999), and a proxy log
from before the year 1000 or after 9999 is not a log."""
TS_MAX = 253402300800.0
"""10000-01-01T00:00:00Z (``31/Dec/9999:23:00:00 -0500`` is past it)."""


def _checked(value: float, text: str) -> float:
    if not TS_MIN <= value < TS_MAX:
        raise ValueError(f"time out of range {text!r}")
    return value


class TimeParser:
    """Per-parser timestamp helpers with bounded caches; raise ``ValueError`` on bad input."""

    def __init__(self, default_tz: tzinfo = UTC) -> None:
        self.default_tz = default_tz
        self._days: dict[tuple[int, int, int, tzinfo | None], float] = {}
        self._strings: dict[str, float] = {}

    def _day(self, year: int, month: int, day: int, tz: tzinfo | None = None) -> float:
        key = (year, month, day, tz)
        cached = self._days.get(key)
        if cached is not None:
            return cached
        try:
            value = datetime(year, month, day, tzinfo=tz or self.default_tz).timestamp()
        except (OverflowError, OSError) as exc:  # a day or year that does not fit a C long
            raise ValueError(f"bad date {year}-{month}-{day}: {exc}") from None
        if len(self._days) > _CACHE_MAX:
            self._days.clear()
        self._days[key] = value
        return value

    @staticmethod
    def _clock(text: str) -> float:
        """``HH:MM:SS[.fff]`` to seconds since midnight."""
        if len(text) < 8 or text[2] != ":" or text[5] != ":":
            raise ValueError(f"bad time {text!r}")
        h, m, s = int(text[0:2]), int(text[3:5]), float(text[6:])
        if h > 23 or m > 59 or not 0 <= s < 61:
            raise ValueError(f"bad time {text!r}")
        return h * 3600 + m * 60 + s

    def epoch(self, text: str) -> float:
        """Seconds since the epoch as printed by Squid and Zeek (``1714525200.123``)."""
        value = float(text)
        if value != value or not 0 <= value < 1e11:  # NaN or absurd
            raise ValueError(f"bad epoch {text!r}")
        return value

    def clf(self, text: str) -> float:
        """Common Log Format ``01/May/2024:10:00:00 +0900`` (brackets already removed)."""
        cached = self._strings.get(text)
        if cached is not None:
            return cached
        if len(text) < 20 or text[2] != "/" or text[6] != "/" or text[11] != ":":
            raise ValueError(f"bad CLF time {text!r}")
        day, month, year = int(text[0:2]), MONTHS[text[3:6].lower()], int(text[7:11])
        rest = text[12:].split()
        tz = parse_tz(rest[1]) if len(rest) > 1 else None
        value = _checked(self._day(year, month, day, tz) + self._clock(rest[0]), text)
        if len(self._strings) > _CACHE_MAX:
            self._strings.clear()
        self._strings[text] = value
        return value

    def date_time(self, date: str, clock: str, tz: tzinfo | None = None) -> float:
        """W3C ``2024-05-01`` + ``01:00:00`` (W3C extended log times are UTC by definition)."""
        if len(date) != 10 or date[4] != "-" or date[7] != "-":
            raise ValueError(f"bad date {date!r}")
        return _checked(self._day(int(date[0:4]), int(date[5:7]), int(date[8:10]), tz) + self._clock(clock), date)

    def bind(self, date: str, clock: str) -> float:
        """BIND ``06-Jul-2022`` + ``11:12:04.202`` in the operator's zone."""
        if len(date) != 11 or date[2] != "-" or date[6] != "-":
            raise ValueError(f"bad BIND date {date!r}")
        return _checked(self._day(int(date[7:11]), MONTHS[date[3:6].lower()], int(date[0:2])) + self._clock(clock), date)

    def ctime(self, text: str) -> float:
        """Zscaler NSS ``Fri Dec 31 07:07:07 2021``."""
        parts = text.split()
        if len(parts) != 5:
            raise ValueError(f"bad NSS time {text!r}")
        return _checked(self._day(int(parts[4]), MONTHS[parts[1].lower()], int(parts[2])) + self._clock(parts[3]), text)

    def iso(self, text: str) -> float:
        """ISO 8601 (``2024-05-01T10:00:00+09:00``, ``...Z``, or naive in the default zone)."""
        dt = datetime.fromisoformat(text.strip())
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.default_tz)
        return _checked(dt.timestamp(), text)

    def any(self, text: str) -> float:
        """Epoch seconds (or milliseconds), ISO 8601, CLF or ctime, whichever fits."""
        t = text.strip()
        if t.replace(".", "", 1).isdigit():
            value = float(t)
            return self.epoch(str(value / 1000 if value > 1e11 else value))
        if len(t) >= 20 and t[2] == "/" and t[6] == "/":
            return self.clf(t)
        if t[:3].isalpha():
            return self.ctime(t)
        return self.iso(t)


def parse_window(since: str | None, until: str | None, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """A scan's time window from user text, as ``kijun discover scan --since/--until`` reads it.

    ISO 8601 dates or date-times; a value without a zone is read in ``tz``; a bare date for
    ``until`` includes that whole day (``until`` is exclusive). ``ValueError`` with a message
    naming the field for bad text or an empty window.
    """

    def one(name: str, value: str | None, end_of_day: bool) -> datetime | None:
        text = (value or "").strip()
        if not text:
            return None
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{name}: bad date/time {text[:40]!r}; use ISO 8601 like 2024-05-01 or 2024-05-01T09:00+09:00"
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=tz)
        if end_of_day and len(text) == 10:
            dt += timedelta(days=1)
        return dt

    start = one("since", since, False)
    end = one("until", until, True)
    if start is not None and end is not None and end <= start:
        raise ValueError("until: must be later than since")
    return start, end
