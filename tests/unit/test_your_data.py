"""Issue 9 item 11: /export (everything held, addresses masked) and /deleteaccount (after a
confirmation, every row of that account and nothing of another's)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.console import render
from bot.conversation import ChatServices, ChatSession, Reply
from core.accounts import destination_for
from core.enums import AlertStatus, Channel, MatchStatus, Platform
from core.models import (
    Account,
    Alert,
    ChatIdentity,
    Destination,
    Listing,
    Match,
    Notice,
    SavedListing,
    Search,
    VerificationCode,
)
from core.outbox import queue_notice
from core.searches import SearchService
from core.tiers import TierTable
from tests.fakes.alerts import WEBHOOK_SECRET, Seeded, queue_alerts, verified_account
from tests.fakes.clock import FakeClock

EMAIL, PHONE, HOOK = "ann.smith@example.com", "+447911123456", "https://hooks.example/in"


def _session(account: Account, destination: Destination, clock: FakeClock) -> ChatSession:
    services = ChatServices(SearchService(TierTable.default(), ("sandbox",)), clock=clock)
    return ChatSession(services, account, destination)


async def _seed(user: str, clock: FakeClock, **addresses: str) -> Seeded:
    account, destination = await verified_account(user, **addresses)
    channels = ["chat", "email"] if "email" in addresses else ["chat"]
    seeded = await queue_alerts(account, destination, channels, count=3, now=clock.now)
    await Search.filter(id=seeded.search.id).update(name=f"{user}'s search")
    await Alert.filter(id__in=seeded.alert_ids[:2]).update(
        status=AlertStatus.SENT, sent_at=clock.now
    )
    first = await Match.filter(search_id=seeded.search.id).order_by("id").first()
    assert first is not None
    await Match.filter(id=first.id).update(status=MatchStatus.SAVED)
    # Issue 12: a listing this account saved from an alert in a shared chat.
    await SavedListing.create(
        account=account,
        listing_id=first.listing_id,  # type: ignore[attr-defined]
        search_name="Deals channel",
    )
    await VerificationCode.create(
        account=account,
        channel=Channel.SMS,
        target=PHONE,
        code_hash="h" * 64,
        expires_at=clock.now,
    )
    await queue_notice(destination, f"n-{user}", "A notice", clock.now)
    return seeded


async def _rows_of(account_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row that belongs to the account, table by table."""
    return {
        "account": await Account.filter(id=account_id).values(),
        "identity": await ChatIdentity.filter(account_id=account_id).values(),
        "destination": await Destination.filter(account_id=account_id).values(),
        "search": await Search.filter(account_id=account_id).values(),
        "match": await Match.filter(search__account_id=account_id).values(),
        "alert": await Alert.filter(match__search__account_id=account_id).values(),
        "code": await VerificationCode.filter(account_id=account_id).values(),
        "notice": await Notice.filter(destination__account_id=account_id).values(),
        "saved_listing": await SavedListing.filter(account_id=account_id).values(),
    }


def _document(replies: list[Reply]) -> tuple[str, dict[str, Any]]:
    [reply] = replies
    assert reply.document is not None, reply.text
    raw = reply.document.content.decode()
    return raw, json.loads(raw)


async def test_export_holds_everything_with_addresses_masked(db: str) -> None:
    clock = FakeClock()
    ann = await _seed("ann", clock, email=EMAIL, phone=PHONE, webhook=HOOK)
    await _seed("bob", clock)
    session = _session(ann.account, ann.destination, clock)

    raw, data = _document(await session.handle("/export"))

    for secret in (EMAIL, PHONE, WEBHOOK_SECRET, "h" * 64):
        assert secret not in raw
    assert "bob" not in raw
    account = data["account"]
    assert account["email"]["address"] == "a•••@example.com"
    assert account["phone"]["address"] == "+44•••••••456"
    assert account["webhook"]["address"] == HOOK  # shown in full in chat too
    assert account["webhook_signing_secret_set"] is True
    assert data["chat_identities"] == [
        {"platform": "console", "user_id": "ann", "display_name": "", "created_at": ANY_TIME}
    ]
    assert [d["chat_id"] for d in data["destinations"]] == ["chat-ann"]
    [search] = data["searches"]
    assert search["name"] == "ann's search" and search["criteria"] == {"keywords": "ps5"}
    [saved] = data["saved_and_hidden_listings"]
    assert saved["status"] == "saved" and saved["listing"]["price"] == "210.00"
    [personal] = data["saved_from_shared_chats"]
    assert personal["search_name"] == "Deals channel" and personal["listing"]["title"]
    assert len(data["alerts_sent"]) == 2
    assert all(a["sent_at"] == clock.now.isoformat() for a in data["alerts_sent"])
    assert {a["channel"] for a in data["alerts_sent"]} <= {"chat", "email"}
    assert data["verification_codes"][0]["sent_to"] == "+44•••••••456"


class _AnyTime:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and datetime.fromisoformat(other).tzinfo is not None


ANY_TIME = _AnyTime()


async def test_deletion_removes_every_row_of_the_account_and_nothing_of_another(
    db: str,
) -> None:
    clock = FakeClock()
    ann = await _seed("ann", clock, email=EMAIL, phone=PHONE)
    bob = await _seed("bob", clock)
    # A group ann added first, where bob has a search too; bob also found one of ann's listings.
    group = await destination_for(ann.account, Platform.CONSOLE, "group-1", kind="group")
    for owner in (ann, bob):
        await Search.create(
            account=owner.account,
            destination=group,
            name="group search",
            criteria={"keywords": "bike"},
            marketplaces=["sandbox"],
            channels=["chat"],
            interval_seconds=900,
            next_check_at=clock.now,
        )
    shared = await Match.filter(search_id=ann.search.id).order_by("id").first()
    assert shared is not None
    await Match.create(search=bob.search, listing_id=shared.listing_id)  # type: ignore[attr-defined]
    bob_before = await _rows_of(bob.account.id)
    listings_before = await Listing.all().count()
    session = _session(ann.account, ann.destination, clock)

    question = await session.handle("/deleteaccount")
    assert [o.value for o in question[0].options] == ["yes", "no"]
    [done] = await session.handle("yes")

    assert "Your account is deleted" in done.text and "Kept: nothing about you" in done.text
    assert "1 search(es) you set up in shared chats stay there" in done.text
    assert all(rows == [] for rows in (await _rows_of(ann.account.id)).values())
    # Ann's group search is the group's: kept, paused for /adopt, on nobody's account.
    kept = await Search.get(destination_id=group.id, name="group search", status="paused")
    assert kept.account_id not in (ann.account.id, bob.account.id)  # type: ignore[attr-defined]
    bob_after = await _rows_of(bob.account.id)
    group_row = next(d for d in bob_after["destination"] if d["id"] == group.id)
    assert group_row["account_id"] == bob.account.id  # the group stays, now bob's
    bob_after["destination"].remove(group_row)
    told = [n for n in bob_after["notice"] if "/adopt" in n["text"]]
    assert len(told) == 1  # the group is told once, in the group
    bob_after["notice"].remove(told[0])
    assert bob_after == bob_before
    # Listings are shared data: none of them is deleted with the account.
    assert await Listing.all().count() == listings_before


async def test_deletion_needs_an_explicit_yes(db: str) -> None:
    clock = FakeClock()
    ann = await _seed("ann", clock)
    before = await _rows_of(ann.account.id)
    session = _session(ann.account, ann.destination, clock)
    for answer in ("no", "maybe", "/cancel"):
        await session.handle("/deleteaccount")
        replies = await session.handle(answer)
        assert "deleted" not in replies[0].text.lower() or "nothing was" in replies[0].text.lower()
        assert session.pending is None
    assert await session.handle("yes") != []  # a stray yes later deletes nothing
    assert await _rows_of(ann.account.id) == before


async def test_after_deletion_the_next_message_starts_a_new_empty_account(db: str) -> None:
    clock = FakeClock()
    ann = await _seed("ann", clock)
    session = _session(ann.account, ann.destination, clock)
    await session.handle("/deleteaccount")
    await session.handle("yes")
    assert not await Account.filter(id=ann.account.id).exists()

    [reply] = await session.handle("/searches")

    assert "No searches for you yet" in reply.text
    assert session.account.id != ann.account.id
    identity = await ChatIdentity.get(platform=Platform.CONSOLE, platform_user_id="ann")
    assert identity.account_id == session.account.id  # type: ignore[attr-defined]


async def test_export_and_delete_refuse_in_a_group(db: str) -> None:
    clock = FakeClock()
    ann = await _seed("ann", clock)
    group = await destination_for(ann.account, Platform.CONSOLE, "group-1", kind="group")
    session = _session(ann.account, group, clock)
    for command in ("/export", "/deleteaccount"):
        [reply] = await session.handle(command)
        assert "private chat" in reply.text and reply.document is None and not reply.buttons
        assert session.pending is None
    assert await Account.filter(id=ann.account.id).exists()


async def test_export_is_plain_json_of_the_current_time(db: str) -> None:
    clock = FakeClock(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))
    account, destination = await verified_account("cy")
    _, data = _document(await _session(account, destination, clock).handle("/export"))
    assert data["exported_at"] == "2026-03-01T09:30:00+00:00"
    assert data["searches"] == [] and data["alerts_sent"] == []


async def test_the_console_prints_the_exported_json(db: str) -> None:
    clock = FakeClock()
    account, destination = await verified_account("cy", email=EMAIL)
    [reply] = await _session(account, destination, clock).handle("/export")
    shown = render(reply)
    body = shown.split(" ---\n", 1)[1].rsplit("\n--- end ---", 1)[0]
    assert json.loads(body)["account"]["email"]["address"] == "a•••@example.com"
    assert EMAIL not in shown
