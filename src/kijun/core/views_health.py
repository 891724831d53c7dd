"""Liveness and readiness probes for load balancers, systemd and container orchestrators.

``/healthz`` answers without touching the database (the process is alive); ``/readyz`` runs one
``SELECT 1`` so a balancer stops sending traffic while the database is unreachable and resumes when it
is back — without an application restart (the connection is re-established by Django on the next use).
Neither reveals versions, hosts or error text: the body is a fixed status word.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger("kijun.health")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cur:  # nosemgrep: kijun-raw-sql -- constant SELECT 1 probe, no input
            cur.execute("SELECT 1")
            cur.fetchone()
    except DatabaseError as exc:
        # No close here: Django's request_finished handler drops an unusable connection after the response,
        # and closing inside a transaction (ATOMIC_REQUESTS, tests) would break it.
        log.warning("readiness check failed: database unavailable (%s)", type(exc).__name__)
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "up"})
