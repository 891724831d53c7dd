"""The `kijun` command: version, demo load, users, jobs."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kijun import __version__
from kijun.cli.main import app
from kijun.core.models import JobRun, OrgUnit, RoleAssignment, User

runner = CliRunner()


def test_version() -> None:
    res = runner.invoke(app, ["version"])
    assert res.exit_code == 0 and __version__ in res.stdout


@pytest.mark.django_db
def test_demo_load_is_idempotent_and_prints_logins() -> None:
    first = runner.invoke(app, ["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = (OrgUnit.objects.count(), User.objects.count(), RoleAssignment.objects.count())
    second = runner.invoke(app, ["demo", "load"])
    assert second.exit_code == 0
    assert (OrgUnit.objects.count(), User.objects.count(), RoleAssignment.objects.count()) == counts
    assert "admin" in second.stdout and "demo-" in second.stdout
    pw = next(w for w in second.stdout.split() if w.startswith("demo-") and len(w) > 10)
    assert any(u.check_password(pw) for u in User.objects.all())


@pytest.mark.django_db
def test_users_create_validates_and_audits(demo) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(app, ["users", "create", "newbie", "--unit", "demo-it-division", "--role",
                              "csirt_member@demo-ministry", "--password-stdin"],
                        input="correct horse battery staple 2026\n")
    assert res.exit_code == 0, res.output
    u = User.objects.get(username="newbie")
    assert u.check_password("correct horse battery staple 2026")
    assert u.role_assignments.get().unit.code == "demo-ministry"
    weak = runner.invoke(app, ["users", "create", "weak", "--unit", "demo-it-division", "--password-stdin"],
                         input="password\n")
    assert weak.exit_code == 1 and "error" in weak.stderr and not User.objects.filter(username="weak").exists()
    bad_role = runner.invoke(app, ["users", "create", "x", "--unit", "demo-it-division", "--role", "king",
                                   "--password-stdin"], input="correct horse battery staple 2026\n")
    assert bad_role.exit_code == 1 and "unknown role" in bad_role.stderr


@pytest.mark.django_db
def test_jobs_run_all_and_unknown(demo) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(app, ["jobs", "run"])
    assert res.exit_code == 0, res.output
    from kijun.core.jobs import registry

    JOBS = registry()

    assert len(JOBS) >= 4  # the core's four plus every domain's (kijun.<domain>.jobs)
    assert set(JobRun.objects.filter(ok=True).values_list("name", flat=True)) == set(JOBS)
    assert runner.invoke(app, ["jobs", "run", "nope"]).exit_code == 1




def test_every_command_group_is_mounted() -> None:
    from kijun.cli.main import SUBAPPS

    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for name, _module, _help in SUBAPPS:
        assert runner.invoke(app, [name, "--help"]).exit_code == 0, name
    assert {n for n, _, _ in SUBAPPS} >= {"demo", "users", "audit", "jobs", "catalog", "cloud", "discover",
                                         "vuln", "access"}
