"""Longest-suffix matching, register scopes and PSL grouping."""

from __future__ import annotations

import pytest

from kijun.discovery.catalog import Catalog
from kijun.discovery.matcher import Matcher, is_ip
from kijun.discovery.register import parse_register


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("cybozu.com", "cybozu-cloud"),
        ("agency.cybozu.com", "cybozu-cloud"),
        ("deep.tenant.cybozu.com", "cybozu-cloud"),
        ("agency-my.sharepoint.com", "sharepoint-online"),
        ("docs.google.com", "google-drive"),
        ("www.google.com", "google-search"),
        ("copilot-proxy.githubusercontent.com", "github-copilot"),
        ("raw.githubusercontent.com", "github"),
        ("weixin.qq.com", "wechat"),
        ("im.qq.com", "qq"),
        ("notcybozu.com", "?notcybozu.com"),
        ("www.city.example.lg.jp", "?example.lg.jp"),
        ("abc.blogspot.com", "?abc.blogspot.com"),
        ("foo.bar.example.co.jp", "?example.co.jp"),
        ("192.0.2.7", "?192.0.2.7"),
        ("localhost", "?localhost"),
    ],
)
def test_match_keys(catalog: Catalog, host: str, key: str) -> None:
    assert Matcher(catalog).match(host).key == key


def test_register_scopes_win_over_app_rules(catalog: Catalog) -> None:
    reg = parse_register(
        """
services:
  - {app: cybozu-cloud, status: prohibited}
  - {domain: agency.cybozu.com, status: approved}
  - {domain: "*.intra.example.go.jp", status: approved, name: 庁内ポータル}
  - {app: slack, status: under_review}
"""
    )
    m = Matcher(catalog, reg)
    tenant = m.match("x.agency.cybozu.com")
    assert (tenant.key, tenant.app_id, tenant.status, tenant.register_status) == (
        "cybozu-cloud@agency.cybozu.com", "cybozu-cloud", "sanctioned", "approved",
    )  # fmt: skip
    other = m.match("other.cybozu.com")
    assert (other.key, other.status, other.register_status) == ("cybozu-cloud", "unsanctioned", "prohibited")
    intra = m.match("wiki.intra.example.go.jp")
    assert (intra.key, intra.app_id, intra.status) == ("@intra.example.go.jp", None, "sanctioned")
    assert m.match("app.slack.com").register_status == "under_review"
    assert m.match("app.slack.com").status == "unsanctioned"
    assert m.match("www.dropbox.com").register_status is None


def test_cache_returns_same_result(catalog: Catalog) -> None:
    m = Matcher(catalog)
    assert m.match("www.dropbox.com") is m.match("www.dropbox.com")


def test_is_ip() -> None:
    assert is_ip("10.0.0.1") and is_ip("2001:db8::1")
    assert not is_ip("10.0.0.example") and not is_ip("1.2.3")
