"""Signed audit checkpoints: key handling, writing, and full verification of the stored log."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import auditchain
from .audit import chain_rows, locked_head
from .models import AuditCheckpoint

KEY_NAME = "kijun-audit"


def load_or_create_key(path: str | os.PathLike[str] | None = None) -> Ed25519PrivateKey:
    """Read the Ed25519 signing key (PEM); create it (mode 0600) on first use."""
    p = Path(path or settings.KIJUN_AUDIT_SIGNING_KEY)
    if p.exists():
        key = load_pem_private_key(p.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{p} is not an Ed25519 private key")
        return key
    p.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return key


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def write_checkpoint(key: Ed25519PrivateKey | None = None) -> AuditCheckpoint | None:
    """Sign the current head; returns None when the log is empty or already checkpointed."""
    key = key or load_or_create_key()
    with transaction.atomic():
        head = locked_head()
        if head.seq == 0 or AuditCheckpoint.objects.filter(size=head.seq).exists():
            return None
        note = auditchain.sign_checkpoint(settings.KIJUN_AUDIT_ORIGIN, head.seq, head.last_hash, key, KEY_NAME)
        return AuditCheckpoint.objects.create(
            size=head.seq, root_hash=head.last_hash, created_at=timezone.now(),
            key_id=auditchain.key_id(KEY_NAME, key.public_key()).hex(), signed_note=note,
        )


def verify_log(public_key: Ed25519PublicKey | None = None, extra_notes: list[str] | None = None) -> auditchain.VerifyResult:
    """Verify the chain and every stored (and externally kept) checkpoint.

    A checkpoint that does not verify under the public key is itself reported as a break: a forger
    who can write the table cannot make the verifier trust a checkpoint it did not sign.
    """
    if public_key is None:
        public_key = load_or_create_key().public_key()
    notes = list(AuditCheckpoint.objects.order_by("size").values_list("signed_note", flat=True))
    notes += extra_notes or []
    cps: list[auditchain.Checkpoint] = []
    for note in notes:
        try:
            cps.append(auditchain.open_checkpoint(note, public_key, KEY_NAME, settings.KIJUN_AUDIT_ORIGIN))
        except auditchain.CheckpointError as exc:
            size_line = note.split("\n")[1] if note.count("\n") >= 2 else "?"
            return auditchain.VerifyResult(False, 0, "", 0, auditchain.Break(
                int(size_line) if size_line.isdigit() else 0, "bad_checkpoint", str(exc)))
    return auditchain.verify_chain(chain_rows(), cps)
