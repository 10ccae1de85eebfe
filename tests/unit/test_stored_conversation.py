"""Conversations kept in the database: a restart or another process continues them.

Each "process" here is a new ChatSession (with its own services) for the same (platform,
chat, user): nothing but the database carries the conversation from one to the next.
"""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal

from bot.console import ConsoleChat
from bot.conversation import ChatServices, ChatSession, Reply
from bot.conversation.stored import decode, encode
from core.accounts import destination_for, identify
from core.conversations import ConversationKey, ConversationStore, Loaded
from core.criteria import Criteria
from core.enums import Channel, Condition, Platform, SearchStatus
from core.models import Conversation, Search
from core.searches import SearchService
from core.tiers import TierTable
from tests.unit.test_conversation import WIZARD

KEY = ConversationKey(Platform.CONSOLE, "chat-ann", "ann")


async def process(store: ConversationStore | None = None) -> ChatSession:
    """A fresh session, as a new process (or one after a restart) would build it."""
    account = await identify(Platform.CONSOLE, "ann")
    destination = await destination_for(account, Platform.CONSOLE, "chat-ann")
    services = ChatServices(
        SearchService(TierTable.default(), ("sandbox", "ebay")),
        conversations=store or ConversationStore(),
    )
    session = ChatSession(services, account, destination)
    session.key = KEY
    return session


async def test_the_wizard_continues_after_a_restart(db: str) -> None:
    before = await process()
    for line in WIZARD[:6]:  # up to the price
        await before.handle_stored(line)
    after = await process()  # the process restarted: only the database remembers
    reply = await after.handle_stored(WIZARD[6])
    assert reply[0].text.startswith("Which currency")  # the location was taken: next step
    for line in WIZARD[7:]:
        reply = await (await process()).handle_stored(line)  # each line in another process
    assert "Cheap PS5" in reply[0].text and "£100.00 – £250.00" in reply[0].text
    done = await (await process()).handle_stored("confirm")
    assert "is live" in done[0].text
    search = await Search.get()
    assert search.criteria["min_price"] == "100.00" and search.criteria["exclude"] == [
        "broken",
        "faulty",
    ]
    assert await Conversation.all().count() == 0  # over: nothing kept


async def test_cancel_clears_the_stored_conversation(db: str) -> None:
    await (await process()).handle_stored("/newsearch")
    assert await Conversation.all().count() == 1
    reply = await (await process()).handle_stored("/cancel")
    assert "Nothing was changed" in reply[0].text
    assert await Conversation.all().count() == 0
    assert "/newsearch" in (await (await process()).handle_stored("hello"))[0].text


async def test_settings_and_delete_confirmation_continue_elsewhere(db: str) -> None:
    await (await process()).handle_stored("/settings")
    await (await process()).handle_stored("timezone")
    reply = await (await process()).handle_stored("Europe/Berlin")
    assert "Europe/Berlin" in reply[0].text
    for line in [*WIZARD, "confirm"]:
        await (await process()).handle_stored(line)
    search = await Search.get()
    await (await process()).handle_stored(f"/delete {search.id}")
    assert "Deleted" in (await (await process()).handle_stored("yes"))[0].text
    assert not await Search.exists()


class _Barrier(ConversationStore):
    """Lets the first two loads through together, as two processes reading at once."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self.both = asyncio.Event()

    async def load(self, key: ConversationKey) -> Loaded:
        loaded = await super().load(key)
        if not self.both.is_set():
            self.waiting += 1
            if self.waiting == 2:
                self.both.set()
            await self.both.wait()
        return loaded


async def test_two_confirms_at_once_create_one_search(db: str) -> None:
    for line in WIZARD:
        await (await process()).handle_stored(line)
    store = _Barrier()
    first, second = await process(store), await process(store)
    replies = await asyncio.gather(first.handle_stored("confirm"), second.handle_stored("confirm"))
    assert await Search.all().count() == 1
    texts = sorted(r[0].text for r in replies)
    assert "is live" in texts[0] + texts[1]
    assert any("/newsearch" in t for t in texts)  # the loser found nothing pending
    assert await Conversation.all().count() == 0


async def test_two_answers_at_once_are_both_applied_in_turn(db: str) -> None:
    await (await process()).handle_stored("/newsearch")
    store = _Barrier()
    first, second = await process(store), await process(store)
    await asyncio.gather(first.handle_stored("sandbox"), second.handle_stored("ebay"))
    # Whichever wrote first answered the name; the other, refused by compare-and-set,
    # answered again on the state that won: the marketplaces question. Neither is lost.
    state = (await ConversationStore().load(KEY)).state
    assert state is not None
    answers = decode(state["pending"]["answers"])
    assert {answers["name"], *answers["marketplaces"]} == {"sandbox", "ebay"}


async def test_an_old_schema_starts_again_politely(db: str) -> None:
    await (await process(ConversationStore(schema_version=0))).handle_stored("/newsearch")
    replies: list[Reply] = await (await process()).handle_stored("Cheap PS5")
    assert "let's start again" in replies[0].text
    assert "/newsearch" in replies[1].text  # the name was not taken as an answer


def test_answers_keep_their_types() -> None:
    answers = {
        "_base": Criteria(keywords="ps5", min_price=Decimal("10.50")),
        "min_price": Decimal("10.50"),
        "max_price": None,
        "channels": (Channel.CHAT, Channel.EMAIL),
        "condition": Condition.USED,
        "exclude": ["a"],
        "extra": {"ebay.category": "1"},
    }
    again = decode(encode(answers))
    assert again == answers
    assert type(again["channels"][1]) is Channel and type(again["min_price"]) is Decimal


async def test_the_console_keeps_its_conversation_across_a_restart(db: str) -> None:
    async def console() -> ConsoleChat:
        session = await process()
        session.key = None  # as the app builds it: the console names its own key
        return ConsoleChat(session, io.StringIO(), io.StringIO(), kept=True)

    first = await console()
    await first.answer("/newsearch")
    await first.answer("Cheap PS5")
    [reply] = await (await console()).answer("sandbox")
    assert reply.text.startswith("What are you looking for?")


async def test_the_console_presses_screen_buttons_by_number(db: str) -> None:
    chat = ConsoleChat(await process(), io.StringIO(), io.StringIO(), kept=True)
    for line in [*WIZARD, "confirm"]:
        await chat.answer(line)
    search = await Search.get()
    await chat.show(await chat.answer("/searches"))
    [card] = await chat.answer("1")  # the search's own button: its card
    await chat.show([card])
    assert card.text.startswith(f"#{search.id} Cheap PS5")
    assert [b.label for b in card.buttons][:2] == ["⏸ Pause", "✏ Edit"]
    [paused] = await chat.answer("1")
    assert paused.text.startswith("⏸ Paused.")
    await Search.get(id=search.id, status=SearchStatus.PAUSED)
    await chat.show([paused])
    [question] = await chat.answer("3")  # Delete: asks first
    await chat.show([question])
    toast, gone = await chat.answer("1")
    assert toast.text == "Deleted." and gone.text == f"🗑 Deleted #{search.id}."
    assert not await Search.exists()
