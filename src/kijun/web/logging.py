"""Structured security logging: one JSON object per line, UTC, control characters escaped.

JSON encoding escapes CR/LF and other control characters, so user-supplied values (user names,
paths) cannot forge extra log lines (ASVS 16.4.1).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from django.http import HttpRequest

security_log = logging.getLogger("kijun.security")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        extra = getattr(record, "kijun", None)
        if isinstance(extra, dict):
            data.update(extra)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=True, default=str)


def security_event(event: str, request: HttpRequest | None, outcome: str, level: int = logging.INFO,
                   **fields: Any) -> None:
    """Log who/what/where/outcome for authentication events, denials and server errors."""
    info: dict[str, Any] = {"outcome": outcome}
    if request is not None:
        user = getattr(request, "user", None)
        info.update({
            "user": getattr(user, "username", "") if user is not None and user.is_authenticated else "",
            "ip": request.META.get("REMOTE_ADDR", ""),
            "method": request.method,
            "path": request.path,
        })
    info.update(fields)
    security_log.log(level, event, extra={"kijun": info})
