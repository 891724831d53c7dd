"""Squid native ``access.log``.

``%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`` — the reply size ``%<st`` is the
only byte count (download side); Squid native carries no upload bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.parsers.base import HostCache, Parser, share


def _looks_native(line: str) -> bool:
    parts = line.split()
    if len(parts) < 7:
        return False
    head, _, frac = parts[0].partition(".")
    return head.isdigit() and frac.isdigit() and "/" in parts[3] and parts[4].lstrip("-").isdigit()


class SquidParser(Parser):
    name = "squid"
    description = "Squid native access.log (epoch timestamp first)"

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        return share(head, sum(1 for line in head if _looks_native(line)))

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        host_of = HostCache()
        events = 0
        n = 0
        for n, line in enumerate(lines, 1):  # noqa: B007 - n is the count after the loop
            parts = line.split()
            if len(parts) < 7:
                if not parts:
                    stats.skip("blank")
                else:
                    stats.bad(n, "fewer than 7 fields", line)
                continue
            try:
                ts = float(parts[0])
                if not 0 <= ts < 1e11:  # also rejects NaN
                    raise ValueError(f"bad epoch {parts[0]!r}")
                code = parts[3]
                slash = code.find("/")
                status = int(code[slash + 1 :]) if slash >= 0 else None
                size = int(parts[4])
                url = parts[6]
                if url.startswith("error:") or parts[5] == "NONE":
                    stats.skip("no_host")  # Squid's record of a transaction that never got a request
                    continue
                host = host_of(url)
                if not host:
                    stats.bad(n, "no host in URL", line)
                    continue
                user = parts[7] if len(parts) > 7 and parts[7] != "-" else None
                yield LogEvent(
                    ts, user, parts[2], host, parts[5], status, None, size if size >= 0 else None, "squid"
                )
                events += 1
            except (ValueError, KeyError, IndexError) as exc:
                stats.bad(n, f"bad field: {exc}", line)
        stats.lines += n
        stats.events += events
