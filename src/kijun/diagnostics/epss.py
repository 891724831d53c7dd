"""FIRST EPSS daily CSV (often gzipped) with its ``#model_version:...,score_date:...`` comment line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ._io import FeedError, read_text
from .records import EpssScore


@dataclass(frozen=True, slots=True)
class EpssFeed:
    model_version: str | None
    score_date: str | None
    scores: dict[str, EpssScore]


def parse_epss(text: str, where: str = "EPSS") -> EpssFeed:
    model = date = None
    lines = text.splitlines()
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        for field in lines[start][1:].split(","):
            k, _, v = field.partition(":")
            if k.strip() == "model_version":
                model = v.strip()
            elif k.strip() == "score_date":
                date = v.strip()
        start += 1
    reader = csv.reader(io.StringIO("\n".join(lines[start:])))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:3]] != ["cve", "epss", "percentile"]:
        raise FeedError(f"{where}:{start + 1}: expected header 'cve,epss,percentile'")
    scores: dict[str, EpssScore] = {}
    for n, row in enumerate(reader, start + 2):
        if not row:
            continue
        try:
            scores[row[0]] = EpssScore(row[0], float(row[1]), float(row[2]))
        except (IndexError, ValueError) as e:
            raise FeedError(f"{where}:{n}: bad EPSS row {row!r}") from e
    return EpssFeed(model, date, scores)


def load_epss(path: str | Path) -> EpssFeed:
    return parse_epss(read_text(path), str(path))
