"""Confirming a search answers at once; its first check (and preview) is the runner's job.

The preview reaches the chat as a notice through the outbox, so a process with no runner
(``run --only web,bots``) still gets one from whichever process checks searches.
"""

from __future__ import annotations

from bot.conversation import ChatServices, ChatSession, Reply
from core.enums import AlertStatus
from core.errors import Unavailable
from core.models import Alert, Notice, Search
from core.scheduling import claim_due_keys
from tests.unit.world import World, key_of

WIZARD = ["/newsearch", "Switches", "fake", "nintendo switch", "none", "any", "anywhere",
          "GBP", "any", "1800", "chat"]  # fmt: skip


async def _confirm(world: World, *wizard: str) -> list[Reply]:
    session = ChatSession(ChatServices(world.searches), world.account, world.destination)
    for line in wizard:
        await session.handle(line)
    return await session.handle("confirm")


async def _previews() -> list[Notice]:
    return await Notice.filter(key__contains=":preview:").order_by("id")


async def test_confirm_answers_without_asking_the_marketplace(world: World) -> None:
    world.market.add("1", "Nintendo Switch OLED")
    done = await _confirm(world, *WIZARD)
    search = await Search.get()
    assert done[0].text.startswith(f"✅ #{search.id} Switches is live.")
    assert world.market.queries == []  # the chat's handler made no upstream call
    assert await _previews() == []
    # Due at once and claimable by any runner (no lease held for a creator's own check).
    claimed = await claim_due_keys(
        world.clock(), limit=10, lease_until=world.clock(), skip_locked=False
    )
    assert [k.id for k in claimed] == [(await key_of(search)).id]


async def test_the_runner_checks_it_and_the_preview_reaches_the_chat_once(world: World) -> None:
    world.market.add("1", "Nintendo Switch OLED")
    world.market.add("2", "Xbox controller")
    await _confirm(world, *WIZARD)
    search = await Search.get()
    assert await world.runner.tick() == 1  # due now: the next round checks it
    assert len(world.market.queries) == 1
    await world.dispatcher.tick()
    [notice] = world.notifier.notices
    assert notice.text.startswith(f"🔎 #{search.id} Switches: first check done.")
    assert "Nintendo Switch OLED" in notice.text and "Xbox" not in notice.text
    assert notice.target.chat_id == world.destination.chat_id
    # Shown once, never alerted: later checks send neither a second preview nor an alert.
    await world.cycle(1800)
    await world.cycle(1800)
    assert len(world.notifier.notices) == 1 and world.notifier.sent == []
    assert await Alert.all().count() == 0
    assert [n.status for n in await _previews()] == [AlertStatus.SENT]


async def test_an_empty_first_check_says_so(world: World) -> None:
    await _confirm(world, *WIZARD)
    await world.cycle(0)
    [notice] = world.notifier.notices
    assert "Nothing matches right now" in notice.text


async def test_an_edit_is_checked_again_with_a_new_preview(world: World) -> None:
    world.market.add("1", "Nintendo Switch OLED")
    await _confirm(world, *WIZARD)
    await world.cycle(0)
    search = await Search.get()
    world.market.add("2", "Steam Deck 512GB")
    world.clock.advance(5)
    queries = len(world.market.queries)
    done = await _confirm(world, f"/edit {search.id}", "edit", "keywords", "steam deck")
    assert "is updated" in done[0].text
    assert len(world.market.queries) == queries  # again no call from the chat
    await world.cycle(0)
    texts = [n.text for n in world.notifier.notices]
    assert len(texts) == 2 and "Steam Deck 512GB" in texts[1]


async def test_a_failed_first_check_leaves_it_unprimed_and_the_next_one_previews(
    world: World,
) -> None:
    world.market.add("1", "Nintendo Switch OLED")
    await _confirm(world, *WIZARD)
    world.market.fail_with = Unavailable("down")
    await world.cycle(0)
    assert world.notifier.notices == [] and (await Search.get()).primed_at is None
    world.market.fail_with = None
    await world.cycle(120)
    [notice] = world.notifier.notices
    assert "Nintendo Switch OLED" in notice.text
