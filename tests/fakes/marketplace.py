"""An in-memory Marketplace that records what it was asked and can be told to fail."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from core.enums import Condition
from core.errors import MarketplaceError
from core.ports import ListingData, MarketplaceQuery


@dataclass
class FakeMarketplace:
    name: str = "fake"
    listings: list[ListingData] = field(default_factory=list)
    queries: list[MarketplaceQuery] = field(default_factory=list)
    fail_with: MarketplaceError | None = None
    fail_keywords: set[str] = field(default_factory=set)

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        self.queries.append(query)
        if self.fail_with is not None or query.keywords in self.fail_keywords:
            raise self.fail_with or MarketplaceError("boom", marketplace=self.name)
        return list(reversed(self.listings))

    def add(self, external_id: str, title: str, price: str = "100", **extra: object) -> ListingData:
        item = ListingData(
            marketplace=self.name,
            external_id=external_id,
            url=f"https://example.test/{external_id}",
            title=title,
            price=Decimal(price),
            condition=Condition.USED,
            posted_at=datetime.now(UTC),
            **extra,  # type: ignore[arg-type]
        )
        self.listings.append(item)
        return item

    def set_price(self, external_id: str, price: str) -> None:
        self.listings = [
            replace(i, price=Decimal(price)) if i.external_id == external_id else i
            for i in self.listings
        ]


@dataclass
class PagedFakeMarketplace(FakeMarketplace):
    """Answers ``page_size`` listings a page, newest first, like a real results page."""

    page_size: int = 20
    pages: list[int] = field(default_factory=list)

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        return await self.search_page(query, 1)

    async def search_page(self, query: MarketplaceQuery, page: int) -> list[ListingData]:
        everything = await FakeMarketplace.search(self, query)
        self.pages.append(page)
        start = (page - 1) * self.page_size
        return everything[start : start + self.page_size]
