"""MARKETPLACES: which marketplaces run, checked when the settings are read."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import build_marketplaces
from bot.settings import Settings, load_settings
from core.errors import ConfigurationError


def test_a_name_that_is_not_a_marketplace_fails_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MARKETPLACES", "gumtree,craiglist")
    with pytest.raises(ConfigurationError, match=r"MARKETPLACES: .*craiglist is not a marketplace"):
        load_settings(env_file=None)


def test_names_are_read_as_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETPLACES", " Craigslist , gumtree,craigslist ")
    assert load_settings(env_file=None).marketplace_names == ("craigslist", "gumtree")


def test_nothing_is_scraped_unless_named() -> None:
    http: Any = object()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert build_marketplaces(settings, http) == {}
    named = Settings(_env_file=None, marketplaces="craigslist")  # type: ignore[call-arg]
    assert list(build_marketplaces(named, http)) == ["craigslist"]


def test_ebay_and_the_sandbox_run_on_their_settings_and_are_checked_when_named() -> None:
    http: Any = object()
    keyed = Settings(  # type: ignore[call-arg]
        _env_file=None,
        ebay_client_id="id",
        ebay_client_secret="secret",
        sandbox_url="http://127.0.0.1:8090",
    )
    assert sorted(build_marketplaces(keyed, http)) == ["ebay", "sandbox"]
    unkeyed = Settings(_env_file=None, marketplaces="ebay")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match=r"MARKETPLACES names ebay.*EBAY_CLIENT_ID"):
        build_marketplaces(unkeyed, http)
    no_sandbox = Settings(_env_file=None, marketplaces="sandbox")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="SANDBOX_URL"):
        build_marketplaces(no_sandbox, http)


def test_the_choice_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    http: Any = object()
    settings = Settings(_env_file=None, marketplaces="gumtree")  # type: ignore[call-arg]
    with caplog.at_level("INFO", logger="bot.app"):
        build_marketplaces(settings, http)
    assert "marketplaces: gumtree (MARKETPLACES='gumtree')" in caplog.text
    assert "craigslist: skipped (not named in MARKETPLACES)" in caplog.text
