"""Discord's small parts: the /newsearch form's answers in the wizard, the admin check,
the settings checks."""

from __future__ import annotations

import pytest

from bot.conversation.actions import Act
from bot.conversation.session import StaleQuestion
from bot.discord.config import DiscordConfig
from bot.discord.rights import ADMINISTRATOR, MANAGE_GUILD, DiscordRights
from core.enums import Tier
from core.errors import ConfigurationError, Forbidden
from core.models import Account
from tests.unit.test_conversation import session_for

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.fake.token_0123456789"


async def test_the_form_answers_its_steps_and_the_wizard_asks_the_rest(db: str) -> None:
    session = await session_for("ann", Tier.PRO)
    typed = {"name": "Road bikes", "keywords": "bike", "exclude": "none", "price": "100-300",
             "location": "Leeds 10"}  # fmt: skip
    replies = await session.new_search_with(typed)
    assert replies[0].text.startswith("Which marketplaces?")
    for answer in ("sandbox", "GBP", "any", "1800", "chat"):
        replies = await session.handle(answer)
    summary = replies[0].text
    assert "Road bikes" in summary and "£100.00 – £300.00" in summary and "Leeds" in summary


async def test_a_select_ticks_its_indexes_and_submits_the_open_question_only(db: str) -> None:
    session = await session_for("cat", Tier.PRO)
    typed = {"name": "Lamps", "keywords": "lamp", "exclude": "none", "price": "any",
             "location": "anywhere"}  # fmt: skip
    [question] = session.stamp(await session.new_search_with(typed))
    done = next(b.action for b in question.buttons if b.action and b.action.act is Act.CHOICES_DONE)
    assert question.multi_select and done.ref == session.question_ref
    count = len(question.options)
    for ref, indexes in (("0ld0ld00", [0]), ("", [0]), (done.ref, [count]), (done.ref, [-1])):
        with pytest.raises(StaleQuestion):
            await session.choose_all(ref, indexes)
    assert session.pending is not None and session.question_ref == done.ref  # still open
    [currency] = await session.choose_all(done.ref, [0, 0])
    assert currency.text.startswith("Which currency") and session.question_ref != done.ref
    with pytest.raises(StaleQuestion):  # answered: the menu is closed, and not multi-select
        await session.choose_all(session.question_ref, [0])


async def test_a_refused_form_answer_is_said_and_asked_again(db: str) -> None:
    session = await session_for("bob")
    typed = {"name": "Bikes", "keywords": "bike", "exclude": "none", "price": "lots",
             "location": "anywhere"}  # fmt: skip
    replies = await session.new_search_with(typed)
    assert replies[0].text.startswith("Price:")
    assert "Which marketplaces?" in replies[0].text  # the first open step comes after it


async def test_only_the_pressers_own_permissions_count(db: str) -> None:
    account = await Account.create()
    manager = DiscordRights("10", "20", "30", MANAGE_GUILD, account)
    assert await manager.is_admin("10", "20")
    assert not await manager.is_admin("10", "21")  # somebody else: not known, so no
    assert not await manager.is_admin("11", "20")  # another channel: no
    admin = DiscordRights("10", "20", "30", ADMINISTRATOR, account)
    assert admin.is_manager
    member = DiscordRights("10", "20", "30", 1 << 11, account)
    with pytest.raises(Forbidden):
        await member.require_manager()
    dm = DiscordRights("10", "20", None, 0, account)
    await dm.require_manager()  # one's own DMs


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        (DiscordConfig(token="short"), "DISCORD_BOT_TOKEN"),
        (DiscordConfig(token=TOKEN, shard_ids=(0,)), "DISCORD_SHARD_IDS"),
        (DiscordConfig(token=TOKEN, shard_count=2, shard_ids=(0, 2)), "DISCORD_SHARD_IDS"),
    ],
)
def test_bad_settings_name_the_setting(config: DiscordConfig, setting: str) -> None:
    with pytest.raises(ConfigurationError, match=setting):
        config.check()


def test_only_the_process_with_shard_zero_syncs_commands() -> None:
    assert DiscordConfig(token=TOKEN).syncs_commands
    assert DiscordConfig(token=TOKEN, shard_count=2, shard_ids=(0,)).syncs_commands
    assert not DiscordConfig(token=TOKEN, shard_count=2, shard_ids=(1,)).syncs_commands


def test_interaction_tokens_in_discord_urls_are_masked() -> None:
    from bot.redaction import Redactor

    token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmFiY2RlZmdo"
    line = f"POST http://x/api/v10/webhooks/100000000000000001/{token}?wait=1 has returned 200"
    masked = Redactor().redact(line)
    assert token not in masked and "/webhooks/100000000000000001/•••?wait=1" in masked
    callback = Redactor().redact(f"/interactions/1576810397170663453/{token}/callback")
    assert token not in callback
