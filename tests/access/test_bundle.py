"""Signed bundles: round trip, tampering, wrong key, unsigned, size limits and unsafe members."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from datetime import UTC, datetime

import pytest

from kijun.access.bundle import (
    BundleError,
    Limits,
    build_bundle,
    generate_keypair,
    key_id,
    load_private_key,
    load_public_key,
    read_bundle,
)
from kijun.access.engine import PreparedPolicy
from kijun.access.policy import PolicySource, default_source

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return generate_keypair()


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def _repack(members: dict[str, bytes], extra: list[tarfile.TarInfo] | None = None) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra or []:
            tar.addfile(info)
    return gzip.compress(raw.getvalue())


def test_signed_round_trip(keys: tuple[bytes, bytes]) -> None:
    src = default_source()
    data = build_bundle(src, WHEN, load_private_key(keys[0]))
    loaded, info = read_bundle(data, load_public_key(keys[1]))
    assert info.signed and info.verified and info.revision == src.revision
    assert info.key_id == key_id(load_public_key(keys[1]))
    assert loaded.files == src.files and loaded.schema == src.schema and loaded.sources == src.sources
    PreparedPolicy.compile(loaded)  # still a valid policy set


def test_build_is_deterministic(keys: tuple[bytes, bytes]) -> None:
    key = load_private_key(keys[0])
    assert build_bundle(default_source(), WHEN, key) == build_bundle(default_source(), WHEN, key)


def test_tampered_policy_file_is_rejected(keys: tuple[bytes, bytes]) -> None:
    members = _members(build_bundle(default_source(), WHEN, load_private_key(keys[0])))
    name = next(n for n in members if n.startswith("policies/"))
    members[name] = members[name].replace(b'@outcome("deny")', b'@outcome("allow")', 1).replace(b"forbid", b"permit", 1)
    with pytest.raises(BundleError, match="digest mismatch"):
        read_bundle(_repack(members), load_public_key(keys[1]))


def test_tampered_manifest_is_rejected(keys: tuple[bytes, bytes]) -> None:
    members = _members(build_bundle(default_source(), WHEN, load_private_key(keys[0])))
    manifest = json.loads(members[".manifest.json"])
    manifest["revision"] = "evil"
    members[".manifest.json"] = json.dumps(manifest, sort_keys=True, indent=1).encode()
    with pytest.raises(BundleError, match="does not verify"):
        read_bundle(_repack(members), load_public_key(keys[1]))


def test_wrong_key_is_rejected(keys: tuple[bytes, bytes]) -> None:
    other_private, _ = generate_keypair()
    data = build_bundle(default_source(), WHEN, load_private_key(other_private))
    with pytest.raises(BundleError, match="does not verify"):
        read_bundle(data, load_public_key(keys[1]))


def test_unsigned_rejected_when_key_configured(keys: tuple[bytes, bytes]) -> None:
    data = build_bundle(default_source(), WHEN)
    with pytest.raises(BundleError, match="unsigned"):
        read_bundle(data, load_public_key(keys[1]))
    _, info = read_bundle(data)  # without a key an unsigned bundle is only digest-checked
    assert not info.signed and not info.verified


def test_signature_stripped_is_unsigned(keys: tuple[bytes, bytes]) -> None:
    members = _members(build_bundle(default_source(), WHEN, load_private_key(keys[0])))
    del members[".signature.json"]
    with pytest.raises(BundleError, match="unsigned"):
        read_bundle(_repack(members), load_public_key(keys[1]))


def test_extra_file_not_in_manifest_is_rejected() -> None:
    members = _members(build_bundle(default_source(), WHEN))
    members["policies/sneaky.cedar"] = b'@id("x") permit (principal, action, resource);'
    with pytest.raises(BundleError, match="differ from the manifest"):
        read_bundle(_repack(members))


def test_oversized_compressed_bundle_is_rejected() -> None:
    data = build_bundle(default_source(), WHEN)
    with pytest.raises(BundleError, match="over the"):
        read_bundle(data, limits=Limits(max_compressed=len(data) - 1))


def test_gzip_bomb_is_stopped_by_the_decompressed_limit() -> None:
    big = PolicySource(default_source().schema, {"p.cedar": "// " + "A" * 2_000_000 + "\n"})
    data = build_bundle(big, WHEN)
    assert len(data) < 50_000  # compresses very well
    with pytest.raises(BundleError, match="gzip bomb"):
        read_bundle(data, limits=Limits(max_uncompressed=1_000_000, max_file=10_000_000))
    with pytest.raises(BundleError, match="byte limit"):
        read_bundle(data, limits=Limits(max_file=1_000_000))


def test_path_traversal_and_links_are_rejected() -> None:
    members = _members(build_bundle(default_source(), WHEN))
    with pytest.raises(BundleError, match="unsafe path"):
        read_bundle(_repack({**members, "../evil.cedar": b"x"}))
    link = tarfile.TarInfo("policies/link.cedar")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(BundleError, match="not a regular file"):
        read_bundle(_repack(members, [link]))


def test_garbage_is_rejected() -> None:
    with pytest.raises(BundleError, match="not a readable"):
        read_bundle(b"this is not gzip")
    with pytest.raises(BundleError, match="no .manifest"):
        read_bundle(_repack({"a.cedar": b""}))


def test_keys_of_the_wrong_kind_are_rejected() -> None:
    with pytest.raises(BundleError):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(BundleError):
        load_public_key(b"not a key")
