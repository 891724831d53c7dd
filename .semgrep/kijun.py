# Annotated examples for .semgrep/kijun.yml (`semgrep --test .semgrep`); never imported.
# ruff: noqa
from django.db import connection


def view(request, access, pk):
    # ruleid: kijun-unscoped-queryset-in-view
    unit = OrgUnit.objects.get(pk=pk)
    # ruleid: kijun-unscoped-queryset-in-view
    people = User.objects.filter(unit_id=pk)
    # ok: kijun-unscoped-queryset-in-view
    mine = ApiToken.objects.filter(user=request.user)
    # ok: kijun-unscoped-queryset-in-view
    scoped = access.scoped(User.objects.filter(is_active=True), "people.view", "unit")
    # ok: kijun-unscoped-queryset-in-view
    User.objects.filter(pk=request.user.pk).update(language="en")
    return unit, people, mine, scoped


def raw(qs):
    # ruleid: kijun-raw-sql
    qs.raw("SELECT * FROM core_user")
    # ruleid: kijun-raw-sql
    with connection.cursor() as cur:
        pass
    # ruleid: kijun-raw-sql
    qs.extra(where=["1=1"])


def tamper():
    # (test mode ignores the rules' path filters, so the view rule fires here too)
    # ruleid: kijun-audit-log-mutation, kijun-unscoped-queryset-in-view
    AuditEntry.objects.filter(seq=5).update(actor="mallory")
    # ruleid: kijun-audit-log-mutation, kijun-unscoped-queryset-in-view
    AuditEntry.objects.filter(seq__gt=3).delete()
    # ruleid: kijun-audit-log-mutation, kijun-unscoped-queryset-in-view
    AuditCheckpoint.objects.all().delete()
    # ok: kijun-audit-log-mutation
    AuditEntry.objects.create(seq=1)
