"""Standalone PDP over HTTP (Starlette/ASGI, run with uvicorn). Stateless apart from caches.

Endpoints:

* ``POST /v1/decide``            AccessRequest JSON -> Decision JSON (200; 400 bad input; 503 no policy)
* ``POST /v1/signals``           Signal JSON or a CAEP/RISC SET payload -> {revoke, step_up, keep}
* ``GET  /v1/authz/nginx``       nginx ``auth_request``: X-Original-Method / X-Original-URI + identity
                                 headers -> 200 allow, 401 step-up or sign-in, 403 deny
* ``ANY  /v1/authz/envoy/<path>`` Envoy ext_authz HTTP service: the original method and path
                                 (after ``path_prefix: /v1/authz/envoy``) -> 200 / 401 / 403
* ``GET  /healthz``              200 with the policy revision, 503 when no policy is loaded
* ``GET  /metrics``              Prometheus text

Every error path answers deny (fail closed): no policy, a broken request, an unmapped path, an
exception inside the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import signal as os_signal
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .logqueue import DeferredSink
from .model import AccessRequest, Decision
from .pdp import PDP
from .pep import PepError, PepInput, Unauthenticated, request_from_headers
from .reeval import signals_from_json

MAX_BODY = 64 * 1024
ENVOY_PREFIX = "/v1/authz/envoy"


def _deny_json(status: int, error: str) -> JSONResponse:
    return JSONResponse({"decision": "deny", "error": error}, status_code=status)


async def _json_body(request: Request) -> Any:
    """Read a JSON body, refusing (without buffering) anything over MAX_BODY bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise ValueError(f"request body over {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ValueError(f"request body over {MAX_BODY} bytes")
        chunks.append(chunk)
    return json.loads(b"".join(chunks))


def _decision_headers(decision: Decision) -> dict[str, str]:
    headers = {
        "X-Kijun-Decision": decision.decision,
        "X-Kijun-Decision-Id": decision.decision_id,
        "X-Kijun-Policy-Revision": decision.policy_revision,
        "X-Kijun-Policies": ",".join(decision.determining_policies),
    }
    if decision.decision == "step_up":
        level = decision.obligations.get("step_up", "mfa")
        headers["X-Kijun-Step-Up"] = level
        headers["WWW-Authenticate"] = f'KijunStepUp level="{level}"'
    return headers


_STATUS = {"allow": 200, "step_up": 401, "deny": 403}


def install_sighup_reload(pdp: PDP) -> Any:
    """Reload the policy on SIGHUP (main thread only); returns the previous handler."""
    return os_signal.signal(os_signal.SIGHUP, lambda _sig, _frame: pdp.reload())


def create_app(
    pdp: PDP,
    *,
    poll_seconds: float = 0.0,
    signals_token: str | None = None,
    on_shutdown: Callable[[], None] | None = None,
    extra_metrics: Callable[[], str] | None = None,
) -> Starlette:
    """Build the ASGI app around a PDP. The caller decides whether to load a policy first.

    ``signals_token``: when set, ``POST /v1/signals`` needs ``Authorization: Bearer <token>``.
    """

    async def decide(request: Request) -> Response:
        try:
            access = AccessRequest.model_validate(await _json_body(request))
        except (ValueError, ValidationError) as exc:
            return _deny_json(400, f"invalid request: {exc}".splitlines()[0])
        try:
            decision = pdp.decide(access)
        except Exception as exc:  # noqa: BLE001 - fail closed on anything
            pdp.counters["errors"] += 1
            return _deny_json(503, str(exc))
        return JSONResponse(decision.model_dump(mode="json"), headers=_decision_headers(decision))

    async def signals(request: Request) -> Response:
        if signals_token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {signals_token}".encode()):
                return JSONResponse({"error": "signals need the configured bearer token"}, status_code=401)
        try:
            parsed = signals_from_json(await _json_body(request))
            revoke: list[str] = []
            step_up: list[str] = []
            keep: list[str] = []
            for sig in parsed:
                result = pdp.signal(sig)
                revoke += result.revoke
                step_up += result.step_up
                keep += result.keep
        except (ValueError, ValidationError) as exc:
            return JSONResponse({"error": str(exc).splitlines()[0]}, status_code=400)
        return JSONResponse({"signals": len(parsed), "revoke": revoke, "step_up": step_up, "keep": keep})

    def proxied(method: str, uri: str, request: Request, path: str) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            access = request_from_headers(PepInput(method, uri, headers), pdp.routes)
            decision = pdp.decide(access, path=path)
        except Unauthenticated as exc:
            return PlainTextResponse(
                "authentication required\n", status_code=401,
                headers={"X-Kijun-Decision": "unauthenticated", "X-Kijun-Reason": str(exc)},
            )
        except PepError as exc:
            return PlainTextResponse("forbidden\n", 403, {"X-Kijun-Decision": "deny", "X-Kijun-Reason": str(exc)})
        except Exception:  # noqa: BLE001 - fail closed on anything
            pdp.counters["errors"] += 1
            return PlainTextResponse("forbidden\n", 403, {"X-Kijun-Decision": "deny", "X-Kijun-Reason": "error"})
        body = {"allow": "ok\n", "step_up": "step-up authentication required\n", "deny": "forbidden\n"}
        return PlainTextResponse(body[decision.decision], _STATUS[decision.decision], _decision_headers(decision))

    async def nginx(request: Request) -> Response:
        method = request.headers.get("x-original-method", "")
        uri = request.headers.get("x-original-uri", "")
        if not method or not uri:
            return PlainTextResponse("forbidden\n", 403, {"X-Kijun-Reason": "missing X-Original-Method/URI"})
        return proxied(method, uri, request, "/v1/authz/nginx")

    async def envoy(request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        uri = raw_path.decode("latin-1")[len(ENVOY_PREFIX):] or "/"
        return proxied(request.method, uri, request, ENVOY_PREFIX)

    async def healthz(request: Request) -> Response:
        if pdp.engine is None:
            return JSONResponse({"status": "no_policy", "error": pdp.last_error}, status_code=503)
        return JSONResponse({"status": "ok", "policy_revision": pdp.revision, "last_error": pdp.last_error})

    async def metrics(request: Request) -> Response:
        text = pdp.metrics_text() + (extra_metrics() if extra_metrics is not None else "")
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        poller: asyncio.Task[None] | None = None
        if poll_seconds > 0:

            async def poll() -> None:
                while True:
                    await asyncio.sleep(poll_seconds)
                    await asyncio.to_thread(pdp.reload)

            poller = asyncio.create_task(poll())
        try:
            yield
        finally:
            if poller is not None:
                poller.cancel()
            if on_shutdown is not None:
                on_shutdown()

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes = [
        Route("/v1/decide", decide, methods=["POST"]),
        Route("/v1/signals", signals, methods=["POST"]),
        Route("/v1/authz/nginx", nginx, methods=["GET", "HEAD"]),
        Route(ENVOY_PREFIX, envoy, methods=methods),
        Route(ENVOY_PREFIX + "/{path:path}", envoy, methods=methods),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.pdp = pdp
    return app


ENV_PREFIX = "KIJUN_ACCESS_"


def app_from_env() -> Starlette:
    """ASGI factory for multi-process serving (``uvicorn --factory``): configuration comes from
    ``KIJUN_ACCESS_*`` environment variables set by ``kijun access serve --workers N``."""
    return app_from_settings({k.removeprefix(ENV_PREFIX): v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)})


def app_from_settings(env: dict[str, str]) -> Starlette:
    """Build a loaded PDP app from settings: POLICY (dir) or BUNDLE (file/URL), PUBLIC_KEY (PEM
    path), DECISION_LOG (path), POLL (seconds), SIGNALS_TOKEN_FILE (path), WEBHOOK (URL),
    LOG_SAMPLE (0..1); for the link to the kijun server: API_TOKEN_FILE (a ``kjp_…`` PDP token,
    sent when polling an http(s) BUNDLE and when shipping), SHIP_URL (``…/api/v1/access/decision-logs``),
    MASK_KEY_FILE (key for hashing user and session ids in every decision log; required for shipping),
    DROP_ORG_UNIT (1: leave the user's unit out of logs). Keys missing from ``env`` are read from
    ``KIJUN_ACCESS_*`` environment variables. Raises RuntimeError when no policy can be loaded."""
    from pathlib import Path

    from .bundle import HttpBundlePoller, load_public_key
    from .decision_log import DecisionSink, FanoutSink, HttpShipper, JsonLinesSink, MaskingRules
    from .pdp import Loader, WebhookNotifier, dir_loader, file_bundle_loader

    env = {**{k.removeprefix(ENV_PREFIX): v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}, **env}

    def secret(name: str) -> str | None:
        return Path(env[name]).read_text("utf-8").strip() if env.get(name) else None

    public_key = load_public_key(Path(env["PUBLIC_KEY"]).read_bytes()) if env.get("PUBLIC_KEY") else None
    api_token = secret("API_TOKEN_FILE")
    loader: Loader
    if env.get("POLICY"):
        loader = dir_loader(Path(env["POLICY"]))
    elif env.get("BUNDLE", "").startswith(("http://", "https://")):
        loader = HttpBundlePoller(env["BUNDLE"], public_key, token=api_token)
    elif env.get("BUNDLE"):
        loader = file_bundle_loader(Path(env["BUNDLE"]), public_key)
    else:
        raise RuntimeError("set KIJUN_ACCESS_POLICY or KIJUN_ACCESS_BUNDLE")
    mask_key = secret("MASK_KEY_FILE")
    masking = MaskingRules(principal_key=mask_key.encode() if mask_key else None,
                           drop_org_unit=env.get("DROP_ORG_UNIT", "") in ("1", "true", "yes"))
    sinks: list[DecisionSink] = []
    closers: list[Callable[[], None]] = []
    if env.get("DECISION_LOG"):
        jsonl = JsonLinesSink.open(env["DECISION_LOG"])
        sinks.append(jsonl)
        closers.append(jsonl.close)
    shipper: HttpShipper | None = None
    if env.get("SHIP_URL"):
        if not api_token:
            raise RuntimeError("decision-log shipping (SHIP_URL) needs API_TOKEN_FILE with a PDP token")
        if not mask_key:
            raise RuntimeError("decision-log shipping (SHIP_URL) needs MASK_KEY_FILE: user ids are hashed before shipping")
        shipper = HttpShipper(env["SHIP_URL"], api_token, masking)
        sinks.append(shipper)
        closers.append(shipper.close)
    sink: DecisionSink | None = sinks[0] if len(sinks) == 1 else FanoutSink(sinks) if sinks else None
    if sink is not None:  # build and write log records off the request path (bounded, drops counted)
        deferred = DeferredSink(sink)

        def drain() -> None:  # before the inner sinks close
            deferred.flush()

        closers.insert(0, drain)
        sink = deferred
    notifier = WebhookNotifier(env["WEBHOOK"]) if env.get("WEBHOOK") else None
    pdp = PDP(loader, sink=sink, masking=masking, on_revoke=notifier, log_sample=float(env.get("LOG_SAMPLE", "1")))
    if not pdp.reload():
        raise RuntimeError(f"cannot load policy: {pdp.last_error}")
    token = secret("SIGNALS_TOKEN_FILE")

    def shutdown() -> None:
        for close in closers:
            close()

    return create_app(pdp, poll_seconds=float(env.get("POLL", "0")), signals_token=token,
                      on_shutdown=shutdown if closers else None,
                      extra_metrics=shipper.metrics_text if shipper else None)


__all__ = ["ENVOY_PREFIX", "ENV_PREFIX", "app_from_env", "app_from_settings", "create_app", "install_sighup_reload"]
