"""0003 moves the per-user drill-down rows of scans stored earlier out of ``Scan.report``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("discovery", "0002_background_scans")]
AFTER = [("discovery", "0003_scan_user_rows")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_inline_usage_moves_to_scan_user_rows_and_back() -> None:
    usage = [{"key": "dropbox", "name": "Dropbox", "status": "unsanctioned", "transactions": 2, "bytes_up": None,
              "bytes_down": 30, "first_seen": "2024-05-01T01:00:00+00:00", "last_seen": "2024-05-01T01:00:05+00:00"}]
    try:
        apps = _migrate(BEFORE)
        OrgUnit, Scan = apps.get_model("core", "OrgUnit"), apps.get_model("discovery", "Scan")
        unit = OrgUnit.objects.create(code="mig-unit", name="移行テスト", kind="division", path="/")
        report = {"schema_version": 1, "users": [{"user": "tanaka", "transactions": 2, "usage": usage},
                                                 {"user": "佐藤", "transactions": 0, "usage": []}]}
        scan = Scan.objects.create(unit=unit, report=report)
        empty = Scan.objects.create(unit=unit, report={})

        apps = _migrate(AFTER)
        Scan, ScanUser = apps.get_model("discovery", "Scan"), apps.get_model("discovery", "ScanUser")
        moved = Scan.objects.get(pk=scan.pk).report
        assert moved["users"] == [{"user": "tanaka", "transactions": 2}, {"user": "佐藤", "transactions": 0}]
        rows = list(ScanUser.objects.filter(scan_id=scan.pk).order_by("position").values_list("user", "usage"))
        assert [(u, json.loads(t)) for u, t in rows] == [("tanaka", usage), ("佐藤", [])]
        assert Scan.objects.get(pk=empty.pk).report == {}

        apps = _migrate(BEFORE)
        back = apps.get_model("discovery", "Scan").objects.get(pk=scan.pk).report
        assert back == report
    finally:
        _migrate(AFTER)
