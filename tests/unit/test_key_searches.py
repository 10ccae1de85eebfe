"""What a key check reads of its searches (``core.scheduling.active_searches``).

The JSON columns are read as their stored text and decoded once per distinct value: the
values must still be the searches' own, decoded, and equal ones one shared object.
"""

from __future__ import annotations

from decimal import Decimal

from core.enums import Platform
from core.models import Search
from core.scheduling import active_searches
from tests.unit.world import World, key_of


async def test_a_key_reads_each_search_as_stored_with_equal_values_shared(world: World) -> None:
    a = await world.create("lamp", max_price=Decimal("40.5"))
    b = await world.create("lamp", max_price=Decimal("40.5"))
    other = await world.create("lamp", max_price=Decimal("40.5"), exclude=("brass",))
    paused = await world.create("lamp", max_price=Decimal("40.5"))
    await world.searches.pause(world.account, paused.id)
    key = await key_of(a)
    assert (await key_of(other)).id == key.id  # same request, other criteria
    found = {s.id: s for s in (await active_searches([key.id]))[key.id]}
    assert set(found) == {a.id, b.id, other.id}  # active ones only
    for search in (a, b, other):
        stored = await Search.get(id=search.id)
        loaded = found[search.id]
        assert loaded.criteria == stored.criteria and isinstance(loaded.criteria, dict)
        assert loaded.marketplaces == stored.marketplaces == ["fake"]
        assert loaded.channels == stored.channels == ["chat"]
        assert (loaded.name, loaded.interval_seconds) == (stored.name, stored.interval_seconds)
        assert loaded.primed_at == stored.primed_at and loaded.primed_at is not None
        assert loaded.destination.id == world.destination.id
        assert loaded.destination.platform is Platform.CONSOLE
        assert loaded.account_id == world.account.id
    # Equal values are one object (peak RSS at tens of thousands of searches a key).
    assert found[a.id].criteria is found[b.id].criteria
    assert found[a.id].criteria is not found[other.id].criteria
    assert found[a.id].marketplaces is found[other.id].marketplaces
    assert found[a.id].destination is found[other.id].destination
