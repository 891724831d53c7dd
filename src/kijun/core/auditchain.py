"""Hash chain and signed checkpoints for the audit log (pure: no Django, no I/O).

Each entry's hash covers the previous entry's hash and a canonical JSON of its own fields, so
altering, deleting or reordering a row breaks the chain at that row. Deleting the *tail* leaves a
valid shorter chain; signed checkpoints close that gap: a checkpoint is a C2SP signed note
("origin / size / base64 hash", then an Ed25519 signature line) stating the head hash at a size.
Here the "root" is the chain head at that size (a linear chain, not a Merkle tree).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS_HASH = "0" * 64

#: The fields that are hashed, in a fixed list so adding a column never silently changes old hashes.
HASHED_FIELDS = (
    "seq", "at", "actor", "actor_id", "source_ip", "action", "object_type", "object_id",
    "object_repr", "outcome", "before", "after",
)


def canonical(payload: Mapping[str, Any]) -> bytes:
    """Deterministic JSON bytes (sorted keys, no spaces, UTF-8) for hashing."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical payload of the hashed fields."""
    body = {k: payload.get(k) for k in HASHED_FIELDS}
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(body)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One stored audit row as the verifier sees it."""

    payload: Mapping[str, Any]
    prev_hash: str
    entry_hash: str

    @property
    def seq(self) -> int:
        return int(self.payload["seq"])


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: str
    note: str


@dataclass(frozen=True, slots=True)
class Break:
    """The first place the log stops being trustworthy."""

    seq: int
    kind: str  # altered | deleted_or_reordered | truncated | bad_checkpoint
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    head_hash: str
    checkpoints_checked: int
    first_break: Break | None


def verify_chain(rows: Iterable[ChainRow], checkpoints: Iterable[Checkpoint] = ()) -> VerifyResult:
    """Walk rows in seq order; report the first altered, missing or reordered row.

    ``checkpoints`` must already have their signatures verified (see :func:`open_checkpoint`); each
    is checked against the hash the chain had at its size, which also detects tail truncation.
    """
    by_size = {c.size: c for c in checkpoints}
    expected_seq = 1
    prev = GENESIS_HASH
    checked = 0
    seen_cp = 0
    for row in rows:
        if row.seq != expected_seq or row.prev_hash != prev:
            return VerifyResult(False, checked, prev, seen_cp, Break(
                expected_seq, "deleted_or_reordered",
                f"expected entry #{expected_seq} linked to {prev[:12]}…, found #{row.seq} linked to "
                f"{row.prev_hash[:12]}…"))
        computed = entry_hash(prev, row.payload)
        if computed != row.entry_hash:
            return VerifyResult(False, checked, prev, seen_cp, Break(
                row.seq, "altered", f"entry #{row.seq} content does not match its stored hash"))
        prev = row.entry_hash
        checked += 1
        cp = by_size.get(row.seq)
        if cp is not None:
            seen_cp += 1
            if cp.root_hash != prev:
                return VerifyResult(False, checked, prev, seen_cp, Break(
                    row.seq, "altered", f"checkpoint at size {cp.size} records a different head hash"))
        expected_seq += 1
    beyond = [c for c in by_size.values() if c.size > checked]
    if beyond:
        cp = min(beyond, key=lambda c: c.size)
        return VerifyResult(False, checked, prev, seen_cp, Break(
            checked + 1, "truncated",
            f"a signed checkpoint covers {cp.size} entries but only {checked} remain"))
    return VerifyResult(True, checked, prev, seen_cp, None)


# --- signed checkpoints (C2SP signed-note format with an Ed25519 key) -------------------------

def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + b"\x01" + raw).digest()[:4]


def sign_checkpoint(origin: str, size: int, root_hash: str, key: Ed25519PrivateKey, key_name: str) -> str:
    """Return the signed note text for (origin, size, root)."""
    if "\n" in origin or not origin:
        raise ValueError("origin must be one non-empty line")
    body = f"{origin}\n{size}\n{base64.b64encode(bytes.fromhex(root_hash)).decode()}\n"
    sig = key.sign(body.encode())
    blob = base64.b64encode(key_id(key_name, key.public_key()) + sig).decode()
    return f"{body}\n\u2014 {key_name} {blob}\n"


class CheckpointError(ValueError):
    """A checkpoint is malformed, signed by an unknown key, or its signature is wrong."""


def open_checkpoint(note: str, public_key: Ed25519PublicKey, key_name: str, origin: str) -> Checkpoint:
    """Verify a signed note and return its checkpoint; raise CheckpointError otherwise."""
    body, sep, sigs = note.partition("\n\n")
    if not sep:
        raise CheckpointError("no signature block")
    lines = body.split("\n")
    if len(lines) != 3:
        raise CheckpointError("checkpoint body must have origin, size and hash lines")
    want_id = key_id(key_name, public_key)
    for line in sigs.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or parts[1] != key_name:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except ValueError as exc:
            raise CheckpointError("signature is not base64") from exc
        if blob[:4] != want_id:
            continue
        try:
            public_key.verify(blob[4:], (body + "\n").encode())
        except InvalidSignature as exc:
            raise CheckpointError("signature does not verify") from exc
        if lines[0] != origin:
            raise CheckpointError(f"origin {lines[0]!r} is not {origin!r}")
        try:
            size = int(lines[1])
            root = base64.b64decode(lines[2], validate=True).hex()
        except ValueError as exc:
            raise CheckpointError("bad size or hash line") from exc
        if size < 1 or len(root) != 64:
            raise CheckpointError("bad size or hash length")
        return Checkpoint(origin, size, root, note)
    raise CheckpointError(f"no signature by key {key_name!r}")
