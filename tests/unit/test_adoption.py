"""Issue 12: a shared chat's searches whose creator left are paused (the chat told once) and
taken over by another admin under their own plan, the tier limits applied as on resume."""

from __future__ import annotations

from core import adoption
from core.accounts import destination_for, identify
from core.enums import Platform, SearchStatus
from core.models import Account, ChatIdentity, Destination, Notice, Search
from core.searches import SearchService
from core.tiers import TierTable
from core.your_data import delete_account
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


class Managers:
    """The ManagerCheck port as a platform answers it: who still manages the chat."""

    def __init__(self, managing: set[str], unsure: frozenset[str] = frozenset()) -> None:
        self.managing = managing
        self.unsure = unsure
        self.asked: list[str] = []

    async def still_manages(self, platform_user_id: str) -> bool | None:
        self.asked.append(platform_user_id)
        if platform_user_id in self.unsure:
            return None
        return platform_user_id in self.managing


async def test_review_pauses_only_who_left_and_tells_the_chat_once(db: str) -> None:
    clock = FakeClock()
    ann = await identify(Platform.DISCORD, "1")
    bob = await identify(Platform.DISCORD, "2", "Bob")
    cy = await identify(Platform.DISCORD, "3")
    channel = await destination_for(ann, Platform.DISCORD, "900", kind="channel")
    anns = await _search(ann.id, channel.id, "Ann's", clock.now)
    bobs = await _search(bob.id, channel.id, "Bob's", clock.now)
    cys = await _search(cy.id, channel.id, "Cy's", clock.now)

    managers = Managers({"1"}, unsure=frozenset({"3"}))  # Bob left; Discord unsure of Cy
    assert await adoption.review(Platform.DISCORD, "900", managers, clock.now) == [bobs.id]
    assert await adoption.review(Platform.DISCORD, "900", managers, clock.now) == []
    notices = await Notice.filter(destination_id=channel.id)
    assert len(notices) == 1 and "Bob" in notices[0].text and "/adopt" in notices[0].text
    statuses = {s.id: s.status for s in await Search.all()}
    assert statuses == {
        anns.id: SearchStatus.ACTIVE,
        bobs.id: SearchStatus.PAUSED,
        cys.id: SearchStatus.ACTIVE,
    }
    # A private chat is nobody else's to review.
    dm = await destination_for(bob, Platform.DISCORD, "dm-bob")
    await _search(bob.id, dm.id, "Bob's own", clock.now)
    assert await adoption.review(Platform.DISCORD, "dm-bob", Managers(set()), clock.now) == []


async def test_take_over_leaves_managers_searches_alone(db: str) -> None:
    clock = FakeClock()
    ann = await identify(Platform.TELEGRAM, "1")
    bob = await identify(Platform.TELEGRAM, "2")
    group = await destination_for(ann, Platform.TELEGRAM, "-100", kind="group")
    await _search(ann.id, group.id, "Ann's", clock.now)
    service = SearchService(TierTable.default(), ("sandbox",), clock=clock)
    still = Managers({"1", "2"})
    assert (
        await adoption.take_over(service, bob, Platform.TELEGRAM, "-100", still, clock.now) is None
    )
    gone = Managers({"2"})
    done = await adoption.take_over(service, bob, Platform.TELEGRAM, "-100", gone, clock.now)
    assert done is not None and [s.name for s in done.resumed] == ["Ann's"]
    assert (await Search.get(name="Ann's")).account_id == bob.id  # type: ignore[attr-defined]


async def test_a_deleted_creators_channel_searches_wait_for_adopt(db: str) -> None:
    clock = FakeClock()
    ann = await identify(Platform.DISCORD, "1")
    bob = await identify(Platform.DISCORD, "2")
    channel = await destination_for(ann, Platform.DISCORD, "900", kind="channel")
    own = await destination_for(ann, Platform.DISCORD, "dm-ann")
    await _search(ann.id, channel.id, "Channel's", clock.now)
    await _search(ann.id, own.id, "Ann's own", clock.now)

    erased = await delete_account(ann.id, clock.now)
    assert erased.deleted["searches"] == 1 and erased.deleted["accounts"] == 1
    assert erased.kept and "/adopt" in erased.kept[0]
    kept = await Search.get(name="Channel's")
    assert kept.status is SearchStatus.PAUSED and kept.paused_reason == adoption.ORPHAN_PAUSE
    holder = kept.account_id  # type: ignore[attr-defined]
    assert holder != ann.id and not await ChatIdentity.exists(account_id=holder)
    assert (await Destination.get(id=channel.id)).account_id == holder  # type: ignore[attr-defined]
    assert await Notice.filter(destination_id=channel.id).count() == 1

    service = SearchService(TierTable.default(), ("sandbox",), clock=clock)
    nobody = Managers(set())
    done = await adoption.take_over(service, bob, Platform.DISCORD, "900", nobody, clock.now)
    assert done is not None and [s.name for s in done.resumed] == ["Channel's"]
    assert not await Account.exists(id=holder)  # the empty holder is gone
    assert (await Destination.get(id=channel.id)).account_id == bob.id  # type: ignore[attr-defined]
    assert (await Search.get(name="Channel's")).status is SearchStatus.ACTIVE
