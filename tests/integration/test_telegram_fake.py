"""The fake Bot API is as strict as Telegram where our rendering could go wrong: HTML that
does not parse, text over 4096 and captions over 1024 (in UTF-16 units, after the markup is
taken away), callback data over 64 bytes. Each limit is tried at its edge, through the real
python-telegram-bot client, so a screen test that passes the fake would pass Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

from tests.fakes.telegram_api import FakeTelegram, running_fake_telegram

USER = {"id": 777, "is_bot": False, "first_name": "Ann"}


@pytest.fixture
async def api() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    async with running_fake_telegram() as fake:
        fake.private_chat(USER)
        bot = Bot(fake.token, base_url=f"{fake.url.rstrip('/')}/bot")
        async with bot:
            yield fake, bot


async def test_html_must_parse(api: tuple[FakeTelegram, Bot]) -> None:
    _, bot = api
    await bot.send_message(
        USER["id"],
        '<b>a &amp; b</b> <a href="https://x.test/?a=1&amp;b=2">x</a>',
        parse_mode=ParseMode.HTML,
    )
    for broken in ("<b>open", "<i>x</b>", "a & b", "<script>x</script>", "1 < 2"):
        with pytest.raises(BadRequest):
            await bot.send_message(USER["id"], broken, parse_mode=ParseMode.HTML)


async def test_text_and_caption_limits_count_utf16_units(api: tuple[FakeTelegram, Bot]) -> None:
    fake, bot = api
    await bot.send_message(USER["id"], "😀" * 2048)  # 4096 units
    await bot.send_message(USER["id"], f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)
    for too_long in ("a" * 4097, "😀" * 2048 + "a"):
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(USER["id"], too_long)
    photo = fake.image_url()
    await bot.send_photo(USER["id"], photo, caption="a" * 1024)
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_photo(USER["id"], photo, caption="😀" * 512 + "a")


async def test_callback_data_at_most_64_bytes(api: tuple[FakeTelegram, Bot]) -> None:
    _, bot = api

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])

    await bot.send_message(USER["id"], "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest):
        await bot.send_message(USER["id"], "no", reply_markup=keyboard("a" * 65))
    with pytest.raises(BadRequest):
        await bot.send_message(USER["id"], "no", reply_markup=keyboard("é" * 32 + "a"))
