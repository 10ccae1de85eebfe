"""Postage (issue 14): the price with postage in every channel's alert, a cap on the
total, and collection-only shown as such."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation import alert_lines
from bot.telegram.alerts import alert_html
from core.criteria import Criteria
from core.matching import matches
from core.ports import AlertMessage
from notifiers.rendering import alert_email, alert_sms
from notifiers.webhook import alert_payload
from tests.unit.messages import LINKS, NOW, alert_message, console_text


def _alert(postage: str | None = "4.50", collection: bool = False) -> AlertMessage:
    price = None if postage is None else Decimal(postage)
    return alert_message(postage=price, collection_only=collection)


def _renderings(alert: AlertMessage) -> dict[str, str]:
    email = alert_email(alert, LINKS)
    return {
        "console": console_text(alert),
        "chat lines": "\n".join(alert_lines(alert, NOW)),
        "telegram": alert_html(alert, NOW, 1024),
        "email text": email.text,
        "email html": email.html,
        "email subject": email.subject,
        "sms": alert_sms(alert, LINKS),
    }


def test_every_channel_shows_the_price_with_postage() -> None:
    for channel, text in _renderings(_alert()).items():
        assert "£210.00 + £4.50 postage" in text, channel
    payload = alert_payload(_alert(), NOW)["listing"]
    assert (payload["price"], payload["postage"], payload["total"]) == ("210", "4.50", "214.50")


def test_free_postage_and_collection_only_are_said_as_such() -> None:
    for channel, text in _renderings(_alert("0")).items():
        assert "£210.00 + free postage" in text, channel
    for channel, text in _renderings(_alert(None, collection=True)).items():
        dot = "-" if channel == "sms" else "·"  # GSM-7 has no middle dot
        assert f"£210.00 {dot} collection only" in text, channel
    assert alert_payload(_alert(None, collection=True), NOW)["listing"]["collection_only"]


def test_unknown_postage_shows_the_price_alone() -> None:
    for channel, text in _renderings(_alert(None)).items():
        assert "£210.00" in text and "postage" not in text.replace("postage)", ""), channel
    assert alert_payload(_alert(None), NOW)["listing"]["total"] == "210"


@pytest.mark.parametrize(
    ("cap_total", "postage", "expected"),
    [(False, "20", True), (True, "20", False), (True, "5", True), (True, None, True)],
)
def test_a_search_may_cap_the_total(cap_total: bool, postage: str | None, expected: bool) -> None:
    wanted = Criteria(keywords="ps5", max_price=Decimal(215), cap_total=cap_total)
    listing = _alert(postage).listing
    assert matches(wanted, listing, NOW) is expected
