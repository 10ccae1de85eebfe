"""Issue 12 in Telegram groups, by the same rule as Discord channels (core.adoption): a
group search whose creator left the group, stopped being its admin or deleted their account
is paused for /adopt, and another admin takes it over under their own plan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.accounts import destination_for, identify
from core.enums import Platform, SearchStatus
from core.models import ChatIdentity, Notice, Search
from tests.integration.test_telegram import ANN, BOB, EVE, ptb_timedelta, running_bot

pytestmark = pytest.mark.usefixtures("ptb_timedelta")
__all__ = ["ptb_timedelta"]  # the fixture, imported for pytestmark above

GROUP = -100500


async def _group_search(user: dict[str, object], name: str) -> Search:
    account = await identify(Platform.TELEGRAM, str(user["id"]), str(user["first_name"]))
    group = await destination_for(account, Platform.TELEGRAM, str(GROUP), kind="group")
    return await Search.create(
        account=account, destination=group, name=name, criteria={"keywords": "bike"},
        marketplaces=["sandbox"], channels=["chat"], interval_seconds=1800,
        next_check_at=datetime.now(UTC),
    )  # fmt: skip


async def _owner(search: Search) -> str:
    row = await Search.get(id=search.id)
    identity = await ChatIdentity.get(account_id=row.account_id)  # type: ignore[attr-defined]
    return identity.platform_user_id


async def test_adopt_takes_over_from_an_admin_who_left_the_group(db: str) -> None:
    async with running_bot() as bot:
        group = bot.fake.group(GROUP, "Deal Hunters", admins=(ANN["id"], BOB["id"]))
        search = await _group_search(ANN, "Ann's bikes")

        await bot.reply_to(BOB, "/adopt", "Nothing to adopt", chat=group)  # Ann is still here
        await bot.reply_to(EVE, "/adopt", "admins", chat=group)  # not an admin: refused
        assert await _owner(search) == str(ANN["id"])

        bot.fake.leave(GROUP, ANN["id"])
        await bot.reply_to(BOB, "/adopt", "You took over 1 search", chat=group)
        assert await _owner(search) == str(BOB["id"])
        assert (await Search.get(id=search.id)).status is SearchStatus.ACTIVE
        notice = await Notice.get()
        assert "Ann" in notice.text and "/adopt" in notice.text  # the group was told


async def test_a_deleted_creators_group_searches_wait_for_adopt(db: str) -> None:
    async with running_bot() as bot:
        group = bot.fake.group(GROUP, "Deal Hunters", admins=(ANN["id"], BOB["id"]))
        await bot.reply_to(ANN, "/start", "Welcome")
        search = await _group_search(ANN, "Ann's bikes")

        question = await bot.reply_to(ANN, "/deleteaccount", "Delete your account?")
        await bot.press(ANN, question, "Yes")
        done = await bot.fake.message_with(ANN["id"], "Your account is deleted")
        assert "1 search(es) you set up in shared chats stay there" in done.text
        kept = await Search.get(id=search.id)
        assert kept.status is SearchStatus.PAUSED  # kept for /adopt, not deleted
        assert "deleted their account" in (await Notice.get()).text

        await bot.reply_to(BOB, "/adopt", "You took over 1 search", chat=group)
        assert await _owner(search) == str(BOB["id"])
        assert (await Search.get(id=search.id)).status is SearchStatus.ACTIVE
