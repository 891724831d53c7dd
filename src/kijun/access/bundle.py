"""Signed policy bundles: what a PDP loads (tar.gz + manifest + Ed25519 signature).

Layout of a bundle (all regular files, no links, no absolute or ``..`` paths)::

    .manifest.json      {format, revision, roots, schema, policies, entities, routes, sources,
                         files: {name: "sha256:<hex>"}, created_at}
    .signature.json     {alg: "Ed25519", key_id, signature}   (signature over the manifest bytes)
    schema.cedarschema
    policies/*.cedar    (rules YAML already compiled to Cedar)
    sources/*.yaml      (the readable rules they came from, for display)
    entities.json, routes.yaml

The manifest lists every file with its digest, so signing the manifest covers the whole bundle
(as OPA's .signatures.json does). Reading is streamed with hard limits on the compressed size,
the decompressed size, the number of members and each file's size, against gzip bombs. A reader
configured with a public key rejects unsigned bundles and bundles signed by any other key.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .policy import PolicySource

FORMAT = "kijun-access-bundle/1"
MANIFEST = ".manifest.json"
SIGNATURE = ".signature.json"


class BundleError(ValueError):
    """A bundle that must not be loaded (bad signature, tampered, too large, malformed)."""


@dataclass(frozen=True)
class Limits:
    max_compressed: int = 16 * 1024 * 1024
    max_uncompressed: int = 64 * 1024 * 1024
    max_members: int = 2000
    max_file: int = 8 * 1024 * 1024


@dataclass(frozen=True)
class BundleInfo:
    revision: str
    signed: bool
    verified: bool
    key_id: str | None
    created_at: str


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise BundleError(f"not a PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError("the signing key must be an Ed25519 private key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise BundleError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError("the verification key must be an Ed25519 public key")
    return key


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o644
    tar.addfile(info, io.BytesIO(data))


def build_bundle(
    source: PolicySource, created_at: datetime, private_key: Ed25519PrivateKey | None = None
) -> bytes:
    """Serialise a (validated) policy source into bundle bytes; deterministic for equal inputs."""
    files: dict[str, bytes] = {"schema.cedarschema": source.schema.encode()}
    policies = []
    for name, text in sorted(source.files.items()):
        files[f"policies/{name}"] = text.encode()
        policies.append(f"policies/{name}")
    sources = []
    for name, text in sorted(source.sources.items()):
        files[f"sources/{name}"] = text.encode()
        sources.append(f"sources/{name}")
    files["entities.json"] = source.entities.encode()
    if source.routes:
        files["routes.yaml"] = source.routes.encode()
    manifest = {
        "format": FORMAT,
        "revision": source.revision or source.digest(),
        "roots": ["kijun/access"],
        "schema": "schema.cedarschema",
        "policies": policies,
        "sources": sources,
        "entities": "entities.json",
        "routes": "routes.yaml" if source.routes else None,
        "files": {name: _digest(data) for name, data in sorted(files.items())},
        "created_at": created_at.isoformat(),
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, indent=1).encode()
    mtime = int(created_at.timestamp())
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, MANIFEST, manifest_bytes, mtime)
        if private_key is not None:
            signature = {
                "alg": "Ed25519",
                "key_id": key_id(private_key.public_key()),
                "signature": base64.b64encode(private_key.sign(manifest_bytes)).decode(),
            }
            _add(tar, SIGNATURE, json.dumps(signature, sort_keys=True).encode(), mtime)
        for name, data in sorted(files.items()):
            _add(tar, name, data, mtime)
    return gzip.compress(raw.getvalue(), mtime=0)


class _Bounded(io.RawIOBase):
    """Decompressing reader that stops once more than ``limit`` bytes have come out."""

    def __init__(self, data: bytes, limit: int) -> None:
        self._gz = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._gz.read(min(len(buffer), 1 << 16))
        self._left -= len(chunk)
        if self._left < 0:
            raise BundleError("bundle decompresses beyond the size limit (possible gzip bomb)")
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith("./") or "\\" in name:
        raise BundleError(f"unsafe path in bundle: {name!r}")
    return name


def _read_members(data: bytes, limits: Limits) -> dict[str, bytes]:
    if len(data) > limits.max_compressed:
        raise BundleError(f"bundle is {len(data)} bytes, over the {limits.max_compressed} byte limit")
    members: dict[str, bytes] = {}
    try:
        reader = io.BufferedReader(_Bounded(data, limits.max_uncompressed))
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for count, member in enumerate(tar, start=1):
                if count > limits.max_members:
                    raise BundleError("too many files in bundle")
                if not member.isfile():
                    raise BundleError(f"bundle member {member.name!r} is not a regular file")
                name = _safe_name(member.name)
                if member.size > limits.max_file:
                    raise BundleError(f"bundle member {name!r} is over the {limits.max_file} byte limit")
                if name in members:
                    raise BundleError(f"duplicate bundle member {name!r}")
                handle = tar.extractfile(member)
                members[name] = handle.read() if handle else b""
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BundleError(f"not a readable tar.gz bundle: {exc}") from exc
    return members


def _verify(members: dict[str, bytes], public_key: Ed25519PublicKey | None) -> tuple[bool, bool, str | None]:
    sig_raw = members.get(SIGNATURE)
    if sig_raw is None:
        if public_key is not None:
            raise BundleError("bundle is unsigned but a verification key is configured")
        return False, False, None
    try:
        sig = json.loads(sig_raw)
        signature = base64.b64decode(sig["signature"], validate=True)
        kid = str(sig.get("key_id", ""))
        if sig.get("alg") != "Ed25519":
            raise BundleError(f"unsupported signature algorithm {sig.get('alg')!r}")
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"malformed {SIGNATURE}: {exc}") from exc
    if public_key is None:
        return True, False, kid
    try:
        public_key.verify(signature, members[MANIFEST])
    except InvalidSignature as exc:
        raise BundleError("bundle signature does not verify with the configured key") from exc
    return True, True, kid


def read_bundle(
    data: bytes, public_key: Ed25519PublicKey | None = None, limits: Limits | None = None
) -> tuple[PolicySource, BundleInfo]:
    """Verify and unpack bundle bytes. Nothing is returned unless every check passes."""
    members = _read_members(data, limits or Limits())
    if MANIFEST not in members:
        raise BundleError(f"bundle has no {MANIFEST}")
    signed, verified, kid = _verify(members, public_key)
    try:
        manifest = json.loads(members[MANIFEST])
        if manifest.get("format") != FORMAT:
            raise BundleError(f"unknown bundle format {manifest.get('format')!r}")
        listed: dict[str, str] = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleError(f"malformed manifest: {exc}") from exc
    present = set(members) - {MANIFEST, SIGNATURE}
    if present != set(listed):
        extra, missing = sorted(present - set(listed)), sorted(set(listed) - present)
        raise BundleError(f"bundle files differ from the manifest (extra {extra}, missing {missing})")
    for name, expected in listed.items():
        if _digest(members[name]) != expected:
            raise BundleError(f"digest mismatch for {name!r}: the bundle was modified")

    def text(name: str | None) -> str:
        return members[name].decode("utf-8") if name else ""

    try:
        files = {PurePosixPath(n).name: text(n) for n in manifest["policies"]}
        sources = {PurePosixPath(n).name: text(n) for n in manifest.get("sources", [])}
        source = PolicySource(
            schema=text(manifest["schema"]),
            files=files,
            entities=text(manifest.get("entities")) or "[]",
            routes=text(manifest.get("routes")),
            revision=str(manifest["revision"]),
            sources=sources,
        )
    except (KeyError, UnicodeDecodeError, TypeError) as exc:
        raise BundleError(f"manifest names a missing or non-text file: {exc}") from exc
    info = BundleInfo(source.revision, signed, verified, kid, str(manifest.get("created_at", "")))
    return source, info


@dataclass
class HttpBundlePoller:
    """Polls the kijun server's ``GET /api/v1/access/bundle?policy_set=<code>`` for a PDP.

    Sends ``Authorization: Bearer <token>`` (a ``kjp_…`` PDP token from the policy set page) and
    ``If-None-Match`` with the last ETag; a 304 answer returns None (unchanged, keep serving). The
    bundle is verified with ``public_key`` before it is returned, so a bad download never replaces
    the policy in use. Used as a PDP loader (``pdp.Loader``).
    """

    url: str
    public_key: Ed25519PublicKey | None
    token: str | None = None
    limits: Limits = field(default_factory=Limits)
    timeout: float = 10.0
    etag: str | None = None
    revision_number: str | None = None

    def __call__(self) -> PolicySource | None:
        if not self.url.startswith(("http://", "https://")):
            raise BundleError(f"bundle URL must be http(s): {self.url!r}")
        request = urllib.request.Request(self.url)  # noqa: S310 - scheme checked above
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if self.etag:
            request.add_header("If-None-Match", self.etag)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = response.read(self.limits.max_compressed + 1)
                etag = response.headers.get("ETag")
                number = response.headers.get("X-Kijun-Policy-Revision-Number")
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                return None
            raise BundleError(f"bundle fetch failed: HTTP {exc.code}") from exc
        except OSError as exc:
            raise BundleError(f"bundle fetch failed: {exc}") from exc
        source = read_bundle(data, self.public_key, self.limits)[0]
        self.etag, self.revision_number = etag, number
        return source


__all__ = [
    "BundleError",
    "BundleInfo",
    "HttpBundlePoller",
    "Limits",
    "build_bundle",
    "generate_keypair",
    "key_id",
    "load_private_key",
    "load_public_key",
    "read_bundle",
]
