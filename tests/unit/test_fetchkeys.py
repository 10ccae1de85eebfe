"""The fetch key: one definition of "the same upstream request", stored per marketplace."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tortoise import connections

from core import checks, fetchkeys
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform, Tier
from core.fetchkeys import FETCH_KEY_VERSION, key_for, query_from_json, recompute_all
from core.models import FetchKey, Search, SearchFetchKey
from core.scheduling import make_due
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from tests.unit.world import World


def _draft(keywords: str, *markets: str, **criteria: object) -> SearchDraft:
    wanted = Criteria(keywords=keywords, **criteria)  # type: ignore[arg-type]
    return SearchDraft(keywords, wanted, markets or ("fake",), 300)


async def _keys_of(search: Search) -> set[tuple[str, str]]:
    rows = await SearchFetchKey.filter(search_id=search.id).values_list(
        "fetch_key__marketplace", "fetch_key__digest"
    )
    return {(m, d) for m, d in rows}


def test_the_key_is_the_normalised_request_of_one_marketplace() -> None:
    a = key_for(Criteria(keywords="  Nintendo   SWITCH ", location="Leeds "), "ebay")
    b = key_for(Criteria(keywords="nintendo switch", location="leeds"), "ebay")
    assert a == b
    assert key_for(Criteria(keywords="nintendo switch", location="leeds"), "gumtree") != a
    # 100, 100.0 and 100.00 are one request.
    prices = {key_for(Criteria("lamp", max_price=Decimal(p)), "ebay").digest
              for p in ("100", "100.0", "100.00")}  # fmt: skip
    assert len(prices) == 1
    # What is only matched locally (exclusions, age) does not split a key...
    local = Criteria("lamp", exclude=("broken",), max_age_hours=3)
    assert key_for(local, "ebay") == key_for(Criteria("lamp"), "ebay")
    # ...nor do other marketplaces' own fields.
    other = Criteria("lamp", extra={"craigslist.site": "sfbay"})
    assert key_for(other, "ebay") == key_for(Criteria("lamp"), "ebay")
    assert key_for(other, "craigslist") != key_for(Criteria("lamp"), "craigslist")


def test_the_stored_query_is_the_request_and_the_version_is_in_the_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = key_for(Criteria("lamp", min_price=Decimal("5.50"), extra={"ebay.x": "1"}), "ebay")
    assert query_from_json(fetchkeys.query_json(key.query)) == key.query
    monkeypatch.setattr(fetchkeys, "FETCH_KEY_VERSION", FETCH_KEY_VERSION + 1)
    assert key_for(Criteria("lamp", min_price=Decimal("5.50"), extra={"ebay.x": "1"}),
                   "ebay").digest != key.digest  # fmt: skip


async def test_a_search_on_three_marketplaces_has_three_keys_shared_by_equal_requests(
    db: str,
) -> None:
    service = SearchService(TierTable.demo(fastest_seconds=60), ["ebay", "gumtree", "fake"])
    account = await identify(Platform.CONSOLE, "kay")
    account.tier = Tier.BUSINESS
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "c")
    wide = await service.create(account, destination, _draft("Lamp", "ebay", "gumtree", "fake"))
    narrow = await service.create(account, destination, _draft("lamp ", "ebay"))
    assert len(await _keys_of(wide)) == 3
    assert await _keys_of(narrow) < await _keys_of(wide)  # its eBay key is the same row
    assert await FetchKey.all().count() == 3
    row = await FetchKey.get(marketplace="gumtree")
    assert row.version == FETCH_KEY_VERSION and row.query["keywords"] == "lamp"
    assert wide.fetch_key == min(d for _, d in await _keys_of(wide))

    # An edit relinks; a delete unlinks (the key rows stay for the other search, and stats).
    await service.update(account, narrow.id, _draft("desk", "gumtree"))
    assert {m for m, _ in await _keys_of(narrow)} == {"gumtree"}
    assert (await _keys_of(narrow)).isdisjoint(await _keys_of(wide))
    await service.delete(account, wide.id)
    assert await SearchFetchKey.filter(search_id=wide.id).count() == 0
    assert await FetchKey.all().count() == 4


async def test_the_migration_step_rebuilds_every_search_s_keys(world: World) -> None:
    a = await world.create("sofa")
    b = await world.create("SOFA")
    # As a search stood before fetch keys: no links, the old all-marketplaces digest.
    await SearchFetchKey.all().delete()
    await Search.filter(id__in=[a.id, b.id]).update(fetch_key="0" * 32)
    stale = await FetchKey.create(
        marketplace="fake", digest="f" * 32, version=0, query={}, created_at=world.clock()
    )
    await SearchFetchKey.create(search_id=a.id, fetch_key_id=stale.id)
    assert await recompute_all(connections.get("default"), world.clock()) == 2
    expected = key_for(Criteria("sofa"), "fake").digest
    assert await _keys_of(a) == await _keys_of(b) == {("fake", expected)}
    assert set(await Search.all().values_list("fetch_key", flat=True)) == {expected}
    assert not await FetchKey.filter(id=stale.id).exists()  # an older version's key is gone
    assert await recompute_all(connections.get("default"), world.clock()) == 2  # idempotent
    assert await SearchFetchKey.all().count() == 2


async def test_equal_requests_in_different_spelling_share_one_fetch(world: World) -> None:
    await world.create("Garden Bench")
    await world.create("garden   bench", interval=120, exclude=("rotten",))
    world.market.queries.clear()
    world.clock.advance(30)  # past the share window of their first checks
    await make_due(world.clock())
    assert await world.runner.tick() == 1  # one key claimed for both searches
    assert len(world.market.queries) == 1


async def test_a_batch_parses_criteria_once_per_search_and_matches_once_per_criteria(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        world.market.add(str(n), f"Road bike {n}")
    for _ in range(20):
        await world.create("road bike")
    await world.create("road bike", exclude=("carbon",))
    await make_due(world.clock())
    parsed: list[object] = []
    matched: list[object] = []
    real_parse, real_match = Criteria.from_json, checks.matches
    monkeypatch.setattr(
        Criteria, "from_json", classmethod(lambda cls, d: parsed.append(d) or real_parse(d))
    )
    monkeypatch.setattr(
        checks, "matches", lambda c, d, n, r=None: matched.append(d) or real_match(c, d, n, r)
    )
    assert await world.runner.tick() == 1  # one key for the 21 searches
    assert len(parsed) == 2  # once per distinct criteria (not per search, listing or group)
    assert len(matched) == 2 * 5  # two distinct criteria, five listings each
