"""Issue 9 item 11 through Telegram: /export arrives as a document (sendDocument, multipart),
/deleteaccount asks with Yes/No buttons first; both only in a private chat."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from core.enums import Platform
from core.models import Account, ChatIdentity, Search
from tests.fakes.telegram_api import FakeTelegram, Sent
from tests.integration.test_telegram import ANN, EVE, ptb_timedelta, running_bot

pytestmark = pytest.mark.usefixtures("ptb_timedelta")
__all__ = ["ptb_timedelta"]  # the fixture, imported for pytestmark above

EMAIL = "ann.smith@example.com"


async def _ann_with_data() -> Account:
    identity = await ChatIdentity.get(
        platform=Platform.TELEGRAM, platform_user_id=str(ANN["id"])
    ).select_related("account")
    account: Account = identity.account
    account.email, account.email_verified_at = EMAIL, datetime.now(UTC)
    await account.save()
    destination = (await account.destinations.all())[0]  # type: ignore[attr-defined]
    await Search.create(
        account=account,
        destination=destination,
        name="Road bike",
        criteria={"keywords": "road bike"},
        marketplaces=["sandbox"],
        channels=["chat", "email"],
        interval_seconds=1800,
        next_check_at=datetime.now(UTC),
    )
    return account


def _document(fake: FakeTelegram, chat_id: int) -> Sent | None:
    return next((s for s in fake.sent if s.kind == "document" and s.chat_id == chat_id), None)


async def test_export_is_sent_as_a_json_document_with_addresses_masked(db: str) -> None:
    async with running_bot() as bot:
        await bot.reply_to(ANN, "/start", "Welcome")
        account = await _ann_with_data()

        await bot.say(ANN, "/export")
        sent = await bot.fake.wait_for(lambda: _document(bot.fake, ANN["id"]))

        assert sent.document is not None and sent.document.filename.endswith(".json")
        assert "Everything I hold" in sent.text
        raw = sent.document.content.decode()
        assert EMAIL not in raw
        data = json.loads(raw)
        assert data["account"]["id"] == account.id
        assert data["account"]["email"]["address"] == "a•••@example.com"
        assert [s["name"] for s in data["searches"]] == ["Road bike"]
        assert data["chat_identities"][0]["user_id"] == str(ANN["id"])
        [call] = bot.fake.calls_of("sendDocument")
        assert call.params["document"].startswith("<upload ")  # a multipart file upload


async def test_deleteaccount_asks_first_then_deletes_and_says_what_was_kept(db: str) -> None:
    async with running_bot() as bot:
        await bot.reply_to(ANN, "/start", "Welcome")
        await bot.reply_to(EVE, "/start", "Welcome")
        account = await _ann_with_data()
        eve = await Account.exclude(id=account.id).get()

        question = await bot.reply_to(ANN, "/deleteaccount", "Delete your account?")
        await bot.press(ANN, question, "No")
        await bot.fake.message_with(ANN["id"], "Nothing was deleted")
        assert await Account.filter(id=account.id).exists()

        question = await bot.reply_to(ANN, "/deleteaccount", "Delete your account?")
        await bot.press(ANN, question, "Yes")
        done = await bot.fake.message_with(ANN["id"], "Your account is deleted")

        assert "Kept: nothing about you" in done.text and "1 searches" in done.text
        assert not await Account.filter(id=account.id).exists()
        assert not await Search.filter(account_id=account.id).exists()
        assert await Account.filter(id=eve.id).exists()
        # Writing again starts a new, empty account.
        await bot.reply_to(ANN, "/stats", "Your numbers")
        identity = await ChatIdentity.get(platform_user_id=str(ANN["id"]))
        assert identity.account_id != account.id  # type: ignore[attr-defined]


async def test_in_a_group_both_point_to_a_private_chat(db: str) -> None:
    async with running_bot() as bot:
        group = bot.fake.group(-100500, "Flatmates", admins=(ANN["id"],))
        for command in ("/export", "/deleteaccount"):
            reply = await bot.reply_to(ANN, command, "private chat", chat=group)
            assert not reply.buttons()
        assert _document(bot.fake, group["id"]) is None
        assert await Account.all().count() == 1
