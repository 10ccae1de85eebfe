"""SearchService: tier limits, downgrades and verified channels, straight through core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Channel, Platform, SearchStatus, Tier
from core.errors import InvalidCriteria, TierLimitExceeded
from core.models import Account, Destination, Search
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable

MARKETS = ("sandbox", "ebay", "gumtree", "craigslist", "facebook")


def draft(
    markets: tuple[str, ...] = ("sandbox",), interval: int = 1800, **kw: object
) -> SearchDraft:
    return SearchDraft("s", Criteria(keywords="lamp"), markets, interval, **kw)  # type: ignore[arg-type]


async def owner(tier: Tier) -> tuple[Account, Destination]:
    account = await identify(Platform.TELEGRAM, f"user-{tier.value}")
    account.tier = tier
    await account.save()
    return account, await destination_for(account, Platform.TELEGRAM, f"chat-{tier.value}")


@pytest.fixture
def service() -> SearchService:
    return SearchService(TierTable.default(), MARKETS)


@pytest.mark.parametrize(("tier", "allowed"), [(Tier.FREE, 2), (Tier.STARTER, 5), (Tier.PRO, 25)])
async def test_active_search_count_per_tier(
    db: str, service: SearchService, tier: Tier, allowed: int
) -> None:
    account, destination = await owner(tier)
    for _ in range(allowed):
        await service.create(account, destination, draft())
    with pytest.raises(TierLimitExceeded) as caught:
        await service.create(account, destination, draft())
    assert caught.value.limit == "searches"
    assert f"allows {allowed} active searches" in str(caught.value)


async def test_business_is_unlimited(db: str, service: SearchService) -> None:
    account, destination = await owner(Tier.BUSINESS)
    for _ in range(30):
        await service.create(account, destination, draft(interval=60))
    assert await Search.filter(account_id=account.id).count() == 30


@pytest.mark.parametrize(
    ("tier", "markets", "interval", "limit"),
    [
        (Tier.FREE, ("sandbox", "ebay"), 1800, "marketplaces_per_search"),
        (Tier.FREE, ("sandbox",), 900, "fastest_interval"),
        (Tier.STARTER, ("sandbox",), 300, "fastest_interval"),
        (Tier.PRO, ("sandbox", "ebay", "gumtree", "craigslist"), 300, "marketplaces_per_search"),
        (Tier.PRO, ("sandbox",), 60, "fastest_interval"),
    ],
)
async def test_per_search_limits_name_the_limit(
    db: str,
    service: SearchService,
    tier: Tier,
    markets: tuple[str, ...],
    interval: int,
    limit: str,
) -> None:
    account, destination = await owner(tier)
    with pytest.raises(TierLimitExceeded) as caught:
        await service.create(account, destination, draft(markets, interval))
    assert caught.value.limit == limit
    assert "plan" in str(caught.value) and "/upgrade" not in str(caught.value)


async def test_paused_searches_do_not_count_and_resume_checks_the_limit(
    db: str, service: SearchService
) -> None:
    account, destination = await owner(Tier.FREE)
    first = await service.create(account, destination, draft())
    await service.create(account, destination, draft())
    await service.pause(account, first.id)
    await service.create(account, destination, draft())
    with pytest.raises(TierLimitExceeded):
        await service.resume(account, first.id)


async def test_downgrade_pauses_newest_over_the_limit_and_deletes_nothing(
    db: str, service: SearchService
) -> None:
    account, destination = await owner(Tier.PRO)
    made = [await service.create(account, destination, draft()) for _ in range(4)]
    account.tier = Tier.FREE
    await account.save()
    paused = await service.enforce_tier(account)
    assert sorted(s.id for s in paused) == sorted(s.id for s in made[2:])
    statuses = {s.id: s.status for s in await Search.filter(account_id=account.id)}
    assert statuses == {
        made[0].id: SearchStatus.ACTIVE,
        made[1].id: SearchStatus.ACTIVE,
        made[2].id: SearchStatus.PAUSED,
        made[3].id: SearchStatus.PAUSED,
    }


async def test_unverified_channels_and_unknown_marketplaces_are_refused(
    db: str, service: SearchService
) -> None:
    account, destination = await owner(Tier.PRO)
    with pytest.raises(InvalidCriteria, match="Verify your email"):
        await service.create(account, destination, draft(channels=(Channel.CHAT, Channel.EMAIL)))
    with pytest.raises(InvalidCriteria, match="Choose marketplaces"):
        await service.create(account, destination, draft(("vinted",)))
    account.email_verified_at = datetime.now(UTC)
    await account.save()
    search = await service.create(
        account, destination, draft(channels=(Channel.CHAT, Channel.EMAIL))
    )
    assert search.channels == ["chat", "email"]


def test_criteria_refuse_impossible_values() -> None:
    from decimal import Decimal

    with pytest.raises(InvalidCriteria, match="minimum price is above"):
        Criteria(keywords="x", min_price=Decimal(5), max_price=Decimal(1))
    with pytest.raises(InvalidCriteria):
        Criteria(keywords="!!!")
    with pytest.raises(InvalidCriteria, match="Radius"):
        Criteria(keywords="x", radius_miles=0)
    criteria = Criteria(keywords="a b", exclude=("c",), min_price=Decimal("1.50"))
    assert Criteria.from_json(criteria.to_json()) == criteria


async def test_first_contact_creates_one_account_per_chat_user(db: str) -> None:
    first = await identify(Platform.TELEGRAM, "42", "Ann")
    again = await identify(Platform.TELEGRAM, "42", "Ann")
    other = await identify(Platform.DISCORD, "42", "Ann")
    assert first.id == again.id != other.id
    assert first.tier is Tier.FREE
