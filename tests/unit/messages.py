"""One alert as the dispatcher hands it to a notifier (``AlertMessage``), and its console
text: shared by the tests that check what every channel renders (postage, verdicts)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.console import ConsoleNotifier
from core.enums import AlertKind, Channel, Platform
from core.ports import AlertMessage, AlertTarget, ListingData
from core.verdict import PriceVerdict
from notifiers.rendering import Links

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
LINKS = Links("https://monitor.example")

LISTING = ListingData(
    marketplace="ebay",
    external_id="1",
    url="https://www.ebay.co.uk/itm/1",
    title="Sony PS5 Disc Edition",
    price=Decimal(210),
    location="Leeds",
    seller="gamer_uk",
)


def alert_message(verdict: PriceVerdict | None = None, **listing: Any) -> AlertMessage:
    """A new-listing chat alert for ``LISTING`` (its fields replaced by ``listing``)."""
    return AlertMessage(
        alert_id=7,
        match_id=3,
        search_id=2,
        search_name="PS5",
        channel=Channel.CHAT,
        kind=AlertKind.NEW_LISTING,
        listing=replace(LISTING, **listing),
        target=AlertTarget(Platform.CONSOLE, "c", 1),
        verdict=verdict,
    )


def console_text(alert: AlertMessage) -> str:
    """What the console notifier prints for ``alert`` at ``NOW``."""
    out = io.StringIO()
    asyncio.run(ConsoleNotifier(out, clock=lambda: NOW).send(alert))
    return out.getvalue()
