"""The pure hash chain and signed checkpoints, attacked the ways a forger would."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kijun.core import auditchain as ac


def make_chain(n: int) -> list[ac.ChainRow]:
    rows, prev = [], ac.GENESIS_HASH
    for i in range(1, n + 1):
        payload = {"seq": i, "at": f"2026-01-01T00:00:{i:02d}.000000Z", "actor": "alice", "actor_id": 1,
                   "source_ip": "127.0.0.1", "action": "unit.update", "object_type": "org_unit",
                   "object_id": str(i), "object_repr": f"課{i}", "outcome": "success",
                   "before": {"name": "旧"}, "after": {"name": "新"}}
        h = ac.entry_hash(prev, payload)
        rows.append(ac.ChainRow(payload, prev, h))
        prev = h
    return rows


def test_intact_chain_verifies() -> None:
    res = ac.verify_chain(make_chain(20))
    assert res.ok and res.checked == 20 and res.first_break is None


def test_altered_field_is_found_at_that_entry() -> None:
    rows = make_chain(10)
    bad = dict(rows[4].payload, after={"name": "改ざん"})
    rows[4] = dataclasses.replace(rows[4], payload=bad)
    res = ac.verify_chain(rows)
    assert not res.ok and res.first_break == ac.Break(5, "altered", res.first_break.detail)  # type: ignore[union-attr]
    assert res.checked == 4


def test_recomputed_hash_after_edit_breaks_the_next_link() -> None:
    rows = make_chain(10)
    bad = dict(rows[4].payload, actor="mallory")
    rows[4] = ac.ChainRow(bad, rows[4].prev_hash, ac.entry_hash(rows[4].prev_hash, bad))
    res = ac.verify_chain(rows)
    assert res.first_break is not None and res.first_break.seq == 6
    assert res.first_break.kind == "deleted_or_reordered"


def test_deleted_middle_entry() -> None:
    rows = make_chain(10)
    del rows[3]
    res = ac.verify_chain(rows)
    assert res.first_break is not None and (res.first_break.seq, res.first_break.kind) == (4, "deleted_or_reordered")


def test_reordered_entries() -> None:
    rows = make_chain(10)
    rows[2], rows[3] = rows[3], rows[2]
    res = ac.verify_chain(rows)
    assert res.first_break is not None and res.first_break.seq == 3


def test_truncated_tail_detected_only_with_checkpoint() -> None:
    key = Ed25519PrivateKey.generate()
    rows = make_chain(10)
    note = ac.sign_checkpoint("test/origin", 10, rows[-1].entry_hash, key, "k")
    cp = ac.open_checkpoint(note, key.public_key(), "k", "test/origin")
    assert ac.verify_chain(rows[:7]).ok  # without a checkpoint a shorter chain looks fine
    res = ac.verify_chain(rows[:7], [cp])
    assert not res.ok and res.first_break is not None and res.first_break.kind == "truncated"
    assert ac.verify_chain(rows, [cp]).ok


def test_checkpoint_with_other_head_is_a_break() -> None:
    key = Ed25519PrivateKey.generate()
    rows = make_chain(5)
    note = ac.sign_checkpoint("o", 3, "ab" * 32, key, "k")
    res = ac.verify_chain(rows, [ac.open_checkpoint(note, key.public_key(), "k", "o")])
    assert res.first_break is not None and res.first_break.seq == 3


def test_forged_checkpoint_with_wrong_key_is_refused() -> None:
    real, forger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    note = ac.sign_checkpoint("o", 5, "cd" * 32, forger, "k")
    with pytest.raises(ac.CheckpointError):
        ac.open_checkpoint(note, real.public_key(), "k", "o")


def test_checkpoint_body_edit_breaks_signature() -> None:
    key = Ed25519PrivateKey.generate()
    note = ac.sign_checkpoint("o", 5, "cd" * 32, key, "k")
    forged = note.replace("\n5\n", "\n4\n", 1)
    with pytest.raises(ac.CheckpointError, match="does not verify"):
        ac.open_checkpoint(forged, key.public_key(), "k", "o")


@pytest.mark.parametrize("note", ["", "o\n5\n", "o\n5\nzz\n\n— k !!!\n", "a\nb\n\n— k AAAA\n"])
def test_malformed_checkpoints_are_refused(note: str) -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(ac.CheckpointError):
        ac.open_checkpoint(note, key.public_key(), "k", "o")


def test_wrong_origin_refused() -> None:
    key = Ed25519PrivateKey.generate()
    note = ac.sign_checkpoint("other", 5, "cd" * 32, key, "k")
    with pytest.raises(ac.CheckpointError, match="origin"):
        ac.open_checkpoint(note, key.public_key(), "k", "o")
