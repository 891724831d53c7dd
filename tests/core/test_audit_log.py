"""The stored audit log: every change is recorded, and `kijun audit verify` finds tampering."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kijun.cli.main import app
from kijun.core import audit
from kijun.core.checkpoints import verify_log, write_checkpoint
from kijun.core.models import AuditCheckpoint, AuditEntry

runner = CliRunner()


def _verify_json() -> tuple[int, dict[str, object]]:
    res = runner.invoke(app, ["audit", "verify", "--json"])
    return res.exit_code, json.loads(res.stdout.splitlines()[0])


@pytest.mark.django_db
def test_entries_chain_and_verify(demo) -> None:  # type: ignore[no-untyped-def]
    n = AuditEntry.objects.count()
    assert n >= 20  # units, people and roles of the demo organisation
    first = AuditEntry.objects.order_by("seq").first()
    assert first is not None and first.prev_hash == "0" * 64
    code, out = _verify_json()
    assert code == 0 and out["ok"] is True and out["checked"] == n


@pytest.mark.django_db
def test_altered_row_is_reported(demo) -> None:  # type: ignore[no-untyped-def]
    AuditEntry.objects.filter(seq=5).update(actor="mallory")
    code, out = _verify_json()
    assert code == 2 and out["ok"] is False
    assert out["first_break"] == {"seq": 5, "kind": "altered", "detail": out["first_break"]["detail"]}  # type: ignore[index]
    res = runner.invoke(app, ["audit", "verify"])
    assert res.exit_code == 2 and "#5" in res.stderr


@pytest.mark.django_db
def test_deleted_row_is_reported(demo) -> None:  # type: ignore[no-untyped-def]
    AuditEntry.objects.filter(seq=7).delete()
    code, out = _verify_json()
    assert code == 2 and out["first_break"]["seq"] == 7  # type: ignore[index]
    assert out["first_break"]["kind"] == "deleted_or_reordered"  # type: ignore[index]


@pytest.mark.django_db
def test_truncation_after_checkpoint_is_reported(demo) -> None:  # type: ignore[no-untyped-def]
    cp = write_checkpoint()
    assert cp is not None and write_checkpoint() is None  # idempotent when nothing new
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    AuditEntry.objects.filter(seq__gt=last.seq - 3).delete()
    res = verify_log()
    assert not res.ok and res.first_break is not None and res.first_break.kind == "truncated"


@pytest.mark.django_db
def test_forged_checkpoint_row_is_reported(demo) -> None:  # type: ignore[no-untyped-def]
    cp = write_checkpoint()
    assert cp is not None
    AuditCheckpoint.objects.filter(pk=cp.pk).update(signed_note=cp.signed_note.replace(f"\n{cp.size}\n", "\n1\n"))
    res = verify_log()
    assert not res.ok and res.first_break is not None and res.first_break.kind == "bad_checkpoint"


@pytest.mark.django_db
def test_external_checkpoint_file_and_public_key(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert write_checkpoint() is not None
    pub = tmp_path / "audit.pub"
    pub.write_text(runner.invoke(app, ["audit", "public-key"]).stdout)
    notes = tmp_path / "checkpoints.txt"
    notes.write_text(runner.invoke(app, ["audit", "checkpoints"]).stdout)
    AuditCheckpoint.objects.all().delete()  # an attacker drops the stored checkpoints and the tail
    AuditEntry.objects.filter(seq__gt=10).delete()
    res = runner.invoke(app, ["audit", "verify", "--public-key", str(pub), "--checkpoints", str(notes)])
    assert res.exit_code == 2 and "truncated" in res.stderr


@pytest.mark.django_db
def test_record_keeps_before_and_after(demo) -> None:  # type: ignore[no-untyped-def]
    e = audit.record("test.change", "thing", 42, "物", actor_label="tester", before={"a": 1}, after={"a": 2})
    stored = AuditEntry.objects.get(pk=e.pk)
    assert (stored.before, stored.after, stored.actor) == ({"a": 1}, {"a": 2}, "tester")
    assert verify_log().ok
