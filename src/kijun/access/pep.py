"""PEP adapters: turn what nginx ``auth_request`` or Envoy ``ext_authz`` sends into an AccessRequest.

Pure functions over (method, path, headers, routes). The PEP (or an authenticating proxy in front
of it) is trusted to set the identity and posture headers and to strip any the client sent; the PDP
must only be reachable from the PEP. Headers (case-insensitive):

=============================  =====================================================
``X-Kijun-User``               user id (required; absent -> 401 "authenticate")
``X-Kijun-Roles``              comma-separated roles
``X-Kijun-Org-Unit``           organisational unit
``X-Kijun-Authn``              comma-separated: ``mfa``, ``phishing_resistant``
``X-Kijun-Network``            ``agency`` | ``telework`` | ``external`` (default external)
``X-Kijun-Device-Id``          device id; the posture headers below describe it
``X-Kijun-Device-Posture``     comma-separated true flags: ``managed``, ``agency_furnished``,
                               ``edr_running``, ``edr_healthy``, ``disk_encrypted``
``X-Kijun-Device-Patch-Age``   days since the last OS security update
``X-Kijun-Session``            session id (lets signals re-evaluate it later)
=============================  =====================================================

The resource and action come from the original method and path via ``routes.yaml``
(longest prefix wins). A path that matches no route is denied: fail closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .model import AccessRequest, Action, Resource

DEFAULT_METHOD_ACTIONS: dict[str, Action] = {
    "GET": "read",
    "HEAD": "read",
    "OPTIONS": "read",
    "POST": "write",
    "PUT": "write",
    "PATCH": "write",
    "DELETE": "delete",
}
POSTURE_FLAGS = ("managed", "agency_furnished", "edr_running", "edr_healthy", "disk_encrypted")


class PepError(ValueError):
    """The PEP request cannot be turned into an access request (-> deny)."""


class Unauthenticated(PepError):
    """No user identity: the PEP should send the user to sign in (-> 401)."""


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    prefix: str = Field(pattern=r"^/")
    resource: Resource
    action: Action | None = None  # fixed action for every method (e.g. an export endpoint: download)
    methods: dict[str, Action] = {}

    @field_validator("methods")
    @classmethod
    def _upper(cls, methods: dict[str, Action]) -> dict[str, Action]:
        return {name.upper(): action for name, action in methods.items()}


class RouteTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    routes: tuple[Route, ...] = ()

    def match(self, path: str) -> Route | None:
        best: Route | None = None
        for route in self.routes:
            if _prefix_match(path, route.prefix) and (best is None or len(route.prefix) > len(best.prefix)):
                best = route
        return best


def _prefix_match(path: str, prefix: str) -> bool:
    if prefix.endswith("/"):
        return path.startswith(prefix) or path == prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def load_routes(text: str, origin: str = "routes.yaml") -> RouteTable:
    if not text.strip():
        return RouteTable()
    try:
        return RouteTable.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PepError(f"{origin}: {exc}") from exc


def normalise_path(raw: str) -> str:
    """Path of a request URI, percent-decoded once; dot segments and encoded slashes refused."""
    try:
        path = urlsplit(raw).path or "/"
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket: "http://["
        raise PepError(f"request URI: not a valid URI ({exc})") from None
    if "%2f" in path.lower() or "%5c" in path.lower():
        raise PepError("encoded slash in path")
    decoded = unquote(path)
    if "\\" in decoded or "\x00" in decoded:
        raise PepError("unexpected character in path")
    segments = decoded.split("/")
    if any(seg in (".", "..") for seg in segments):
        raise PepError("dot segment in path")
    while "//" in decoded:
        decoded = decoded.replace("//", "/")
    return decoded


def _flag_list(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",") if item.strip()}


@dataclass(frozen=True)
class PepInput:
    method: str
    uri: str
    headers: Mapping[str, str]  # lower-case names


def request_from_headers(pep: PepInput, routes: RouteTable) -> AccessRequest:
    """Build the access request for one proxied HTTP request (raises PepError / Unauthenticated)."""
    h = pep.headers
    user = h.get("x-kijun-user", "").strip()
    if not user:
        raise Unauthenticated("no X-Kijun-User header")
    path = normalise_path(pep.uri)
    route = routes.match(path)
    if route is None:
        raise PepError(f"no route covers {path!r}")
    method = pep.method.upper()
    action = route.action or route.methods.get(method) or DEFAULT_METHOD_ACTIONS.get(method)
    if action is None:
        raise PepError(f"method {method!r} not mapped to an action")
    posture = _flag_list(h.get("x-kijun-device-posture", ""))
    device: dict[str, Any] = {flag: flag in posture for flag in POSTURE_FLAGS}
    if h.get("x-kijun-device-id"):
        device["id"] = h["x-kijun-device-id"].strip()
    if h.get("x-kijun-device-patch-age", "").strip():
        device["os_patch_age_days"] = h["x-kijun-device-patch-age"].strip()
    authn = _flag_list(h.get("x-kijun-authn", ""))
    data: dict[str, Any] = {
        "principal": {
            "id": user,
            "roles": sorted({r.strip() for r in h.get("x-kijun-roles", "").split(",") if r.strip()}),
            "org_unit": h.get("x-kijun-org-unit", "").strip(),
        },
        "action": action,
        "resource": route.resource.model_dump(),
        "context": {
            "network": h.get("x-kijun-network", "external").strip().lower() or "external",
            "authn": {"mfa": "mfa" in authn or "phishing_resistant" in authn,
                      "phishing_resistant": "phishing_resistant" in authn},
            "device": device,
        },
    }
    if h.get("x-kijun-session"):
        data["session_id"] = h["x-kijun-session"].strip()
    try:
        return AccessRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PepError(f"bad header value for {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc


__all__ = [
    "DEFAULT_METHOD_ACTIONS",
    "PepError",
    "PepInput",
    "Route",
    "RouteTable",
    "Unauthenticated",
    "load_routes",
    "normalise_path",
    "request_from_headers",
]
