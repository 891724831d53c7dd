"""The shadow-IT report's "start a use application" link pre-fills the discovered service's name."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_service_name_prefilled_from_discovery_link(demo, client: Client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(demo["users"]["admin"])
    resp = client.get("/cloud/applications/new/?service=Dropbox%20Business&app=dropbox")
    assert resp.status_code == 200
    assert 'value="Dropbox Business"' in resp.content.decode()
    plain = client.get("/cloud/applications/new/")
    assert 'value="Dropbox Business"' not in plain.content.decode()
