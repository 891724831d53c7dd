"""API paging with bounded limit and offset (an unbounded offset overflows the database)."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 500
MAX_OFFSET = 100_000_000


class Paging(LimitOffsetPagination):
    """limit/offset paging; responses are ``{"items": [...], "count": N}``."""

    class Input(Schema):
        limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Items per page (1–500).")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")
