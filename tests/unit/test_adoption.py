"""Issue 12: a shared chat's searches whose creator left are paused (the chat told once) and
taken over by another admin under their own plan, the tier limits applied as on resume."""

from __future__ import annotations

from core import adoption
from core.accounts import destination_for, identify
from core.enums import Platform, SearchStatus
from core.models import Notice, Search
from core.searches import SearchService
from core.tiers import TierTable
from tests.fakes.clock import FakeClock


async def _search(account_id: int, destination_id: int, name: str, now: object) -> Search:
    return await Search.create(
        account_id=account_id, destination_id=destination_id, name=name,
        criteria={"keywords": "bike"}, marketplaces=["sandbox"], channels=["chat"],
        interval_seconds=3600, next_check_at=now,
    )  # fmt: skip


async def test_orphaned_then_adopted_within_the_adopters_plan(db: str) -> None:
    clock = FakeClock()
    ann = await identify(Platform.DISCORD, "1")
    bob = await identify(Platform.DISCORD, "2")
    channel = await destination_for(ann, Platform.DISCORD, "900", kind="channel")
    theirs = [await _search(ann.id, channel.id, f"Ann {n}", clock.now) for n in range(2)]
    own = await destination_for(bob, Platform.DISCORD, "dm-bob")
    await _search(bob.id, own.id, "Bob's own", clock.now)  # free: 2 active searches at most

    paused = await adoption.orphan(Platform.DISCORD, "900", ann.id, "<@1>", clock.now)
    assert sorted(paused) == [s.id for s in theirs]
    assert await adoption.orphan(Platform.DISCORD, "900", ann.id, "<@1>", clock.now) == []
    assert await Notice.filter(destination_id=channel.id).count() == 1  # told once
    assert {s.status for s in await Search.filter(destination_id=channel.id)} == {
        SearchStatus.PAUSED
    }

    service = SearchService(TierTable.default(), ("sandbox",), clock=clock)
    done = await adoption.adopt(service, bob, Platform.DISCORD, "900", [ann.id])
    assert [s.name for s in done.resumed] == ["Ann 0"]
    assert [s.name for s in done.still_paused] == ["Ann 1"]  # over Bob's free plan
    rows = await Search.filter(destination_id=channel.id).order_by("id")
    assert all(r.account_id == bob.id for r in rows)  # type: ignore[attr-defined]
    assert [r.status for r in rows] == [SearchStatus.ACTIVE, SearchStatus.PAUSED]
