"""Issue 16 through Telegram: /prices answers with the chart as an uploaded photo (sendPhoto,
multipart) captioned with the figures, and says "asking prices"."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PIL import Image

from core.criteria import Criteria
from core.enums import Platform
from core.models import ChatIdentity, PriceItem, PriceSample, Search
from core.verdict import item_for
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.integration.test_telegram import ANN, ptb_timedelta, running_bot

pytestmark = pytest.mark.usefixtures("ptb_timedelta")
__all__ = ["ptb_timedelta"]  # the fixture, imported for pytestmark above


def _photo(fake: FakeTelegram, chat_id: int) -> Sent | None:
    return next((s for s in fake.sent if s.kind == "photo" and s.chat_id == chat_id), None)


async def _ann_with_prices() -> Search:
    identity = await ChatIdentity.get(
        platform=Platform.TELEGRAM, platform_user_id=str(ANN["id"])
    ).select_related("account")
    destination = (await identity.account.destinations.all())[0]  # type: ignore[attr-defined]
    criteria = Criteria(keywords="road bike")
    search = await Search.create(
        account=identity.account, destination=destination, name="Road bike",
        criteria=criteria.to_json(), marketplaces=["sandbox"], channels=["chat"],
        interval_seconds=1800, next_check_at=datetime.now(UTC),
    )  # fmt: skip
    item = item_for(criteria, "sandbox")
    assert item is not None
    now = datetime.now(UTC)
    await PriceItem.create(digest=item.digest, marketplace="sandbox", keywords=item.keywords,
                           condition=item.condition, currency="GBP", updated_at=now)  # fmt: skip
    for n in range(24):
        await PriceSample.create(item=item.digest, seen=f"l:{n}", listing_id=n,
                                 price=Decimal(380 + 5 * n), seen_at=now)  # fmt: skip
    return search


async def test_prices_sends_the_chart_as_a_photo_with_the_figures(db: str) -> None:
    async with running_bot() as bot:
        await bot.reply_to(ANN, "/start", "Welcome")
        search = await _ann_with_prices()
        await bot.say(ANN, f"/prices {search.id}")
        sent = await bot.fake.wait_for(lambda: _photo(bot.fake, ANN["id"]))
        assert "Asking prices for “road bike”" in sent.text
        assert "not what items sold for" in sent.text and "24 listings counted" in sent.text
        assert sent.picture is not None and sent.picture.content.startswith(b"\x89PNG")
        assert Image.open(io.BytesIO(sent.picture.content)).size == (800, 450)
        [call] = bot.fake.calls_of("sendPhoto")
        assert call.params["photo"].startswith("<upload ")  # a multipart upload, not a URL
