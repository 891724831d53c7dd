"""REST API of the cloud domain (mounted under /api/v1/ by kijun.web.api)."""

from ninja import Router

router = Router(tags=["cloud"])
