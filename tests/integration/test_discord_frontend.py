"""The Discord front-end in-process: real discord.py against the fake Discord, the real
inbox and workers, conversations in the database. DM flows and their refusals."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.bootstrap import BootConfig, bootstrap
from bot.conversation.texts import STALE
from bot.discord import DiscordConfig, DiscordFrontend
from bot.discord.render import alert_components, burst_components
from core import matches
from core.accounts import identify
from core.enums import MatchStatus, Platform, SearchStatus, Tier
from core.models import Destination, Listing, Match, Search
from core.runner import RunnerOptions
from core.tiers import TierTable
from tests.fakes.discord_api import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    TOKEN,
    FakeDiscord,
    Interaction,
    Sent,
    api_url,
    running_fake_discord,
)
from tests.fakes.marketplace import FakeMarketplace

ANN = FakeDiscord.user(4001, "Ann")
EVE = FakeDiscord.user(4002, "Eve")
BOB = FakeDiscord.user(4003, "Bob")


@contextlib.asynccontextmanager
async def running_bot(
    prepare: Callable[[FakeDiscord], None] = lambda fake: None,
    built: list[DiscordFrontend] | None = None,
) -> AsyncIterator[FakeDiscord]:
    config = BootConfig(runner=RunnerOptions(idle_sleep_seconds=0.1, share_window_seconds=0))
    monitor = bootstrap(
        config,
        marketplaces={"sandbox": FakeMarketplace("sandbox")},
        notifiers={},
        tiers=TierTable.default(),
    )
    async with running_fake_discord() as fake:
        prepare(fake)
        discord_config = DiscordConfig(token=TOKEN, api_url=api_url(fake), gateway_url=fake.ws_url)
        frontend = DiscordFrontend(discord_config, monitor.chat)
        if built is not None:
            built.append(frontend)
        task = asyncio.create_task(frontend.run())
        try:
            await fake.wait_for(lambda: fake.command_puts and fake.connections, within=20)
            yield fake
        finally:
            frontend.request_stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)


async def _said(fake: FakeDiscord, interaction: Interaction, text: str) -> Sent:
    def find() -> Sent | None:
        return next((s for s in interaction.followups if text in s.text), None)

    try:
        found: Sent = await fake.wait_for(find, within=10)
    except TimeoutError:
        seen = [s.text for s in interaction.followups]
        raise AssertionError(f"{text!r} not in {seen}") from None
    return found


async def _command(fake: FakeDiscord, user: dict[str, Any], name: str, expect: str,
                   **options: Any) -> Sent:  # fmt: skip
    interaction = await fake.command(user, fake.dm_channel(user), name, options)
    await fake.answered(interaction, within=3)
    assert interaction.responses[0]["type"] == 5
    return await _said(fake, interaction, expect)


async def _press(fake: FakeDiscord, user: dict[str, Any], sent: Sent, label: str) -> Interaction:
    item = sent.button(label)
    values = [item["_option"]] if "_option" in item else None
    interaction = await fake.press(user, sent, item["custom_id"], values=values)
    await fake.answered(interaction, within=3)
    return interaction


async def _new_search(fake: FakeDiscord, user: dict[str, Any]) -> None:
    channel = fake.dm_channel(user)
    opened = await fake.answered(await fake.command(user, channel, "newsearch"))
    assert opened.modal is not None
    answers = {"name": "Lamps", "keywords": "lamp"}
    submitted = await fake.submit(user, channel, opened.modal, answers)
    menu = await _said(fake, submitted, "Which marketplaces?")
    assert not menu.ephemeral  # a DM: nothing to hide from anyone
    for label, expect in (("Sandbox", "Which currency"), ("GBP", "New or used"),
                          ("Any", "How often"), ("Every", "Where shall"),
                          ("This chat", "Your search"), ("Confirm", "is live")):  # fmt: skip
        pressed = await _press(fake, user, menu, label)
        menu = await _said(fake, pressed, expect)


async def test_searches_screen_pauses_with_buttons_and_refuses_a_stale_menu(db: str) -> None:
    async with running_bot() as fake:
        await _new_search(fake, ANN)
        helped = await _command(fake, ANN, "help", "/newsearch")
        form = await fake.press(ANN, helped, helped.button("New search")["custom_id"])
        assert (await fake.answered(form, within=3)).modal is not None  # as /newsearch
        screen = await _command(fake, ANN, "searches", "Your searches")
        opened = await _press(fake, ANN, screen, "Lamps")
        await fake.wait_for(lambda: "Pause" in str(screen.data["components"]), within=10)
        await _press(fake, ANN, screen, "Pause")
        await fake.wait_for(lambda: "Paused" in screen.text, within=10)
        assert (await Search.get()).status is SearchStatus.PAUSED
        assert opened.responses[0]["type"] == 6

        stale = next(s for s in fake.messages if "Which marketplaces?" in s.text)
        channel = fake.dm_channel(ANN)
        opened = await fake.answered(await fake.command(ANN, channel, "newsearch"))
        again = await fake.submit(ANN, channel, opened.modal or {}, {"name": "B", "keywords": "b"})
        await _said(fake, again, "Which marketplaces?")  # a new question is open now
        pressed = await _press(fake, ANN, stale, "Sandbox")
        assert (await _said(fake, pressed, STALE)).ephemeral  # for the presser only


async def test_autocomplete_and_search_commands_act_only_on_ones_own(db: str) -> None:
    async with running_bot() as fake:
        await _new_search(fake, ANN)
        search = await Search.get()
        suggested = await fake.autocomplete(ANN, fake.dm_channel(ANN), "pause", "search", "lam")
        await fake.answered(suggested, within=3)
        assert suggested.choices == [{"name": f"#{search.id} Lamps", "value": search.id}]
        theirs = await fake.autocomplete(EVE, fake.dm_channel(EVE), "pause", "search", "")
        await fake.answered(theirs, within=3)
        assert theirs.choices == []

        await _command(fake, EVE, "pause", "You have no ", search=search.id)
        assert (await Search.get()).status is SearchStatus.ACTIVE
        await _command(fake, ANN, "pause", "Paused", search=search.id)
        assert (await Search.get()).status is SearchStatus.PAUSED


@pytest.mark.parametrize("command", ["cancel", "stats"])
async def test_plain_commands_answer(db: str, command: str) -> None:
    async with running_bot() as fake:
        expect = {"cancel": "Nothing to cancel", "stats": ""}[command]
        await _command(fake, ANN, command, expect)


async def test_registry_commands_are_slash_commands_and_a_new_token_is_for_its_owner(
    db: str,
) -> None:
    async with running_bot() as fake:
        listed = {c["name"]: c for c in fake.commands["global"]}
        assert set(listed) >= {"plan", "upgrade", "token", "verify", "deleteaccount", "answer",
                               "managerrole", "pause", "searches"}  # fmt: skip
        assert not set(listed) & {"start", "edit", "save"}
        assert "export" in listed
        assert [o["name"] for o in listed["token"]["options"]] == ["text"]
        made = await _command(fake, ANN, "token", "Copy it now", text="create laptop")
        assert made.ephemeral  # even in a DM: only its owner sees the secret
        mine = await _command(fake, ANN, "token", "laptop", text="list")
        assert mine.ephemeral
        await _command(fake, ANN, "plan", "")


async def test_a_manager_role_set_by_an_admin_lets_its_members_manage(db: str) -> None:
    made: dict[str, str] = {}

    def server(fake: FakeDiscord) -> None:
        guild = fake.add_guild("Bikes")
        made["channel"] = guild["channels"][0]["id"]
        made["role"] = fake.add_role(guild, "Bike mods")

    async with running_bot(server) as fake:
        channel, role = made["channel"], made["role"]

        async def opens_form(user: dict[str, Any], **who: Any) -> bool:
            asked = await fake.answered(await fake.command(user, channel, "newsearch", **who))
            return asked.modal is not None

        assert not await opens_form(EVE, roles=(role,))
        chose = await fake.command(EVE, channel, "managerrole", {"role": role}, roles=(role,))
        await _said(fake, chose, "Only members with Manage Server")
        admin = MEMBER_PERMISSIONS | MANAGE_GUILD
        chose = await fake.command(ANN, channel, "managerrole", {"role": role}, permissions=admin)
        said = await _said(fake, chose, "can now manage")
        assert said.ephemeral
        assert await opens_form(EVE, roles=(role,))
        assert not await opens_form(FakeDiscord.user(4003, "Bob"))
        cleared = await fake.command(ANN, channel, "managerrole", permissions=admin)
        await _said(fake, cleared, "Cleared")
        assert not await opens_form(EVE, roles=(role,))


async def test_a_multi_choice_question_is_answered_with_a_select(db: str) -> None:
    account = await identify(Platform.DISCORD, ANN["id"], "Ann")
    account.tier = Tier.PRO  # more than one marketplace per search: a multi-choice question
    await account.save(update_fields=["tier"])
    async with running_bot() as fake:
        channel = fake.dm_channel(ANN)
        opened = await fake.answered(await fake.command(ANN, channel, "newsearch"))
        form = await fake.submit(ANN, channel, opened.modal or {}, {"name": "L", "keywords": "l"})
        menu = await _said(fake, form, "Which marketplaces?")
        select = menu.buttons()[0]
        assert select["type"] == 3 and select["custom_id"].startswith("mm:q:0:d:")
        forged = await fake.press(ANN, menu, select["custom_id"], values=["0", "20"])
        await _said(fake, forged, STALE)  # not one of its options: nothing is answered
        picked = await _press(fake, ANN, menu, "Sandbox")
        await _said(fake, picked, "Which currency")
        assert len(picked.followups) == 1  # answered once, by one handler
        again = await _press(fake, ANN, menu, "Sandbox")  # answered already: closed
        await _said(fake, again, STALE)


async def test_each_interaction_is_answered_before_it_waits_for_its_chats_turn(db: str) -> None:
    built: list[DiscordFrontend] = []
    async with running_bot(built=built) as fake:
        chats = built[0].chats
        handle = chats.handle
        release, started = asyncio.Event(), asyncio.Event()

        async def slow(claim: Any) -> None:  # the chat's first update takes long
            if claim.payload["data"].get("name") == "stats":
                started.set()
                await release.wait()
            await handle(claim)

        chats.handle = slow  # type: ignore[method-assign]
        built[0].workers.handle = slow
        channel = fake.dm_channel(ANN)
        first = await fake.command(ANN, channel, "stats")
        await fake.answered(first, within=3)
        await asyncio.wait_for(started.wait(), 5)  # stored and being handled
        second = await fake.command(ANN, channel, "help")
        await fake.answered(second, within=3)  # acknowledged although the chat is busy
        await asyncio.sleep(0.5)
        assert not second.followups  # it waits for its turn: one update per chat at a time
        release.set()
        await _said(fake, second, "/newsearch")
        assert first.followups
        assert int(first.followups[0].id) < int(second.followups[0].id)


async def test_saved_listings_page_in_a_server_channel_for_the_presser_only(db: str) -> None:
    made: dict[str, str] = {}

    def server(fake: FakeDiscord) -> None:
        made["channel"] = fake.add_guild("Bikes")["channels"][0]["id"]

    async with running_bot(server) as fake:
        await _new_search(fake, ANN)
        search = await Search.get()
        for n in range(7):
            listing = await Listing.create(
                marketplace="sandbox", external_id=str(n), url=f"https://e.test/{n}",
                title=f"Lamp number {n}", price=Decimal(10 + n),
                first_seen_at=datetime.now(UTC), last_seen_at=datetime.now(UTC),
            )  # fmt: skip
            await Match.create(search=search, listing=listing, status=MatchStatus.SAVED)
        asked = await fake.command(ANN, made["channel"], "saved")
        first = await _said(fake, asked, "page 1 of 2")
        assert first.ephemeral
        await _press(fake, ANN, first, "Older")
        await fake.wait_for(lambda: "page 2 of 2" in first.text, within=10)
        assert "Newer" in str(first.data["components"])


async def test_typed_answers_come_with_answer_when_editing_a_step(db: str) -> None:
    async with running_bot() as fake:
        channel = fake.dm_channel(ANN)
        opened = await fake.answered(await fake.command(ANN, channel, "newsearch"))
        form = await fake.submit(ANN, channel, opened.modal or {}, {"name": "L", "keywords": "l"})
        menu = await _said(fake, form, "Which marketplaces?")
        for label, expect in (("Sandbox", "Which currency"), ("GBP", "New or used"),
                              ("Any", "How often"), ("Every", "Where shall"),
                              ("This chat", "Your search"), ("Edit", "Which part"),
                              ("Name", "What shall we call")):  # fmt: skip
            menu = await _said(fake, await _press(fake, ANN, menu, label), expect)
        typed = await fake.command(ANN, channel, "answer", {"text": "Desk lamps"})
        summary = await _said(fake, typed, "Your search")
        assert "Desk lamps" in summary.text
        await _said(fake, await _press(fake, ANN, summary, "Confirm"), "is live")
        assert (await Search.get()).name == "Desk lamps"


async def test_save_in_a_channel_is_the_pressers_own_and_hide_is_for_managers(db: str) -> None:
    """Issue 12: Eve (no Manage Server) saves Ann's channel alert to her own /saved; Ann's
    /saved stays empty and the channel's message is unchanged; Eve's Hide is refused."""
    made: dict[str, str] = {}

    def server(fake: FakeDiscord) -> None:
        made["channel"] = fake.add_guild("Bikes", owner=ANN)["channels"][0]["id"]

    async with running_bot(server) as fake:
        await _new_search(fake, ANN)
        search = await Search.get().select_related("destination")
        dm_destination = search.destination.id
        channel = await Destination.create(
            platform=Platform.DISCORD, chat_id=made["channel"], kind="guild",
            title="alerts", account_id=search.account_id,  # type: ignore[attr-defined]
        )  # fmt: skip
        search.destination = channel
        await search.save(update_fields=["destination_id"])
        listing = await Listing.create(
            marketplace="sandbox", external_id="x1", url="https://e.test/x1",
            title="Brass lamp", price=Decimal(12),
            first_seen_at=datetime.now(UTC), last_seen_at=datetime.now(UTC),
        )  # fmt: skip
        match = await Match.create(search=search, listing=listing)
        body = {
            "content": "Brass lamp",
            "components": alert_components(match.id, listing.url, MatchStatus.NEW),
        }
        alert = fake._store(body, None, "channel", channel_id=made["channel"])  # as posted

        saved = await fake.press(EVE, alert, alert.button("Save")["custom_id"])
        said = await _said(fake, saved, "your own /saved")
        assert said.ephemeral
        await match.refresh_from_db()
        assert match.status is MatchStatus.NEW  # the channel's alert is not Eve's to change
        eve = await identify(Platform.DISCORD, EVE["id"])
        ann = await identify(Platform.DISCORD, ANN["id"])
        assert [i.listing.title for i in (await matches.list_saved(eve)).items] == ["Brass lamp"]
        assert (await matches.list_saved(ann)).total == 0

        mine = await fake.command(EVE, made["channel"], "saved")
        page = await _said(fake, mine, "Brass lamp")
        assert page.ephemeral and "Lamps" in page.text  # the search it came from

        hide = await fake.press(EVE, alert, alert.button("Hide")["custom_id"])
        refused = await _said(fake, hide, "admins")
        assert refused.ephemeral
        await match.refresh_from_db()
        assert match.status is MatchStatus.NEW

        # A forged custom_id naming an alert posted elsewhere (Ann's DM) saves nothing.
        dm_search = await Search.create(
            account_id=ann.id, destination_id=dm_destination, name="Mine", criteria={},
            marketplaces=["sandbox"], channels=["chat"], interval_seconds=600,
            next_check_at=datetime.now(UTC),
        )  # fmt: skip
        other = await Match.create(
            search=dm_search,
            listing=await Listing.create(
                marketplace="sandbox", external_id="x2", url="https://e.test/x2", title="Other",
                first_seen_at=datetime.now(UTC), last_seen_at=datetime.now(UTC),
            ),
        )  # fmt: skip
        body = {"content": "x", "components": alert_components(other.id, "", MatchStatus.NEW)}
        carrier = fake._store(body, None, "channel", channel_id=made["channel"])
        forged = await fake.press(EVE, carrier, carrier.button("Save")["custom_id"])
        await _said(fake, forged, "no alert")
        assert (await matches.list_saved(eve)).total == 1


async def test_adopt_takes_over_a_departed_creators_channel_searches(db: str) -> None:
    """Issue 12: Ann set up the channel's search and is still there: nothing to adopt. She
    leaves the server: Eve (no Manage Server) may not adopt; Bob (Manage Server) does, and the
    search runs under his account."""
    made: dict[str, str] = {}

    def server(fake: FakeDiscord) -> None:
        guild = fake.add_guild("Bikes", owner=ANN)
        made["guild"], made["channel"] = guild["id"], guild["channels"][0]["id"]

    async with running_bot(server) as fake:
        await _new_search(fake, ANN)
        search = await Search.get()
        channel = await Destination.create(
            platform=Platform.DISCORD, chat_id=made["channel"], kind="channel",
            title="alerts", account_id=search.account_id,  # type: ignore[attr-defined]
        )  # fmt: skip
        await Search.filter(id=search.id).update(destination_id=channel.id)

        early = await fake.command(
            BOB, made["channel"], "adopt", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD
        )
        await _said(fake, early, "Nothing to adopt")
        assert (await Search.get()).account_id == search.account_id  # type: ignore[attr-defined]

        fake.departed[made["guild"]] = {ANN["id"]}
        refused = await fake.command(EVE, made["channel"], "adopt")
        assert (await _said(fake, refused, "admins")).ephemeral
        assert (await Search.get()).account_id == search.account_id  # type: ignore[attr-defined]

        adopted = await fake.command(
            BOB, made["channel"], "adopt", permissions=MEMBER_PERMISSIONS | MANAGE_GUILD
        )
        said = await _said(fake, adopted, "took over 1 search")
        assert "1 running under your plan" in said.text and said.ephemeral
        bob = await identify(Platform.DISCORD, BOB["id"])
        now = await Search.get()
        assert now.account_id == bob.id and now.status is SearchStatus.ACTIVE  # type: ignore[attr-defined]
        assert now.paused_reason is None


async def test_export_comes_as_a_file_in_dms_and_ephemerally_in_a_server(db: str) -> None:
    made: dict[str, str] = {}

    def server(fake: FakeDiscord) -> None:
        made["channel"] = fake.add_guild("Bikes")["channels"][0]["id"]

    async with running_bot(server) as fake:
        await _new_search(fake, ANN)
        sent = await _command(fake, ANN, "export", "Everything I hold")
        [(name, content)] = sent.files.items()
        assert name.endswith(".json") and sent.data["attachments"][0]["filename"] == name
        data = json.loads(content)
        assert [s["name"] for s in data["searches"]] == ["Lamps"]
        assert data["chat_identities"][0]["user_id"] == ANN["id"]

        asked = await fake.command(ANN, made["channel"], "export")
        there = await _said(fake, asked, "Everything I hold")
        assert there.ephemeral and there.files  # only Ann sees it


async def test_a_bursts_buttons_act_on_their_own_listing_and_are_redrawn(db: str) -> None:
    """Issue 12: three alerts in one message (a burst): Save 2 saves the second listing
    only, and the message's buttons are drawn again with it as Unsave 2; Hide 3 then Unhide 3
    likewise. Each button's custom_id names its own match (persistent)."""
    async with running_bot() as fake:
        await _new_search(fake, ANN)
        search = await Search.get()
        now = datetime.now(UTC)
        found = [
            await Match.create(
                search=search,
                listing=await Listing.create(
                    marketplace="sandbox", external_id=f"b{n}", url=f"https://e.test/b{n}",
                    title=f"Lamp {n}", price=Decimal("10"), first_seen_at=now, last_seen_at=now,
                ),
            )
            for n in (1, 2, 3)
        ]  # fmt: skip
        body = {
            "embeds": [{"title": f"Lamp {n}"} for n in (1, 2, 3)],
            "components": burst_components([(m.id, MatchStatus.NEW) for m in found]),
        }
        burst = fake._store(body, None, "channel", channel_id=fake.dm_channel(ANN))
        assert burst.button("Save 2")["custom_id"] == f"mm:a:{found[1].id}:s"

        await _press(fake, ANN, burst, "Save 2")
        await fake.wait_for(lambda: "Unsave 2" in str(burst.data["components"]), within=10)
        statuses = [(await Match.get(id=m.id)).status for m in found]
        assert statuses == [MatchStatus.NEW, MatchStatus.SAVED, MatchStatus.NEW]
        labels = [b["label"] for b in burst.buttons()]
        assert labels == ["⭐ Save 1", "🙈 Hide 1", "✓ Unsave 2", "🙈 Hide 2",
                          "⭐ Save 3", "🙈 Hide 3"]  # fmt: skip

        await _press(fake, ANN, burst, "Hide 3")
        await fake.wait_for(lambda: "Unhide 3" in str(burst.data["components"]), within=10)
        assert (await Match.get(id=found[2].id)).status is MatchStatus.HIDDEN
        await _press(fake, ANN, burst, "Unhide 3")
        await fake.wait_for(lambda: "🙈 Hide 3" in str(burst.data["components"]), within=10)
        assert (await Match.get(id=found[2].id)).status is MatchStatus.NEW
        assert "Unsave 2" in str(burst.data["components"])  # the others kept their state


async def test_prices_sends_the_chart_as_an_attachment(db: str) -> None:
    """Issue 16: /prices answers with the figures and the PNG chart attached."""
    from core.criteria import Criteria
    from core.models import PriceItem, PriceSample
    from core.verdict import item_for

    async with running_bot() as fake:
        await _command(fake, ANN, "stats", "")  # the account and its DM exist from here
        account = await identify(Platform.DISCORD, str(ANN["id"]), "Ann")
        destination = await Destination.get(account_id=account.id)
        criteria = Criteria(keywords="road bike")
        search = await Search.create(
            account=account, destination=destination, name="Road bike",
            criteria=criteria.to_json(), marketplaces=["sandbox"], channels=["chat"],
            interval_seconds=1800, next_check_at=datetime.now(UTC),
        )  # fmt: skip
        item = item_for(criteria, "sandbox")
        assert item is not None
        now = datetime.now(UTC)
        await PriceItem.create(
            digest=item.digest, marketplace="sandbox", keywords=item.keywords,
            condition=item.condition, currency="GBP", updated_at=now,
        )  # fmt: skip
        for n in range(15):
            await PriceSample.create(item=item.digest, seen=f"l:{n}", listing_id=n,
                                     price=Decimal(400 + 3 * n), seen_at=now)  # fmt: skip
        listed = {c["name"]: c for c in fake.commands["global"]}
        assert [o["name"] for o in listed["prices"]["options"]] == ["text"]
        sent = await _command(fake, ANN, "prices", "Asking prices", text=str(search.id))
        assert "15 listings counted" in sent.text
        [(name, content)] = sent.files.items()
        assert name == "prices.png" and content.startswith(b"\x89PNG")
