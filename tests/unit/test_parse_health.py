"""Parse health: field coverage per marketplace on /metrics, and a warning when it drops."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.metrics import Metrics
from core.parse_health import ParseHealth, coverage
from core.ports import ListingData
from tests.unit.world import World


def listing(n: int, *, place: str = "Leeds", image: bool = True) -> ListingData:
    return ListingData(
        marketplace="fake",
        external_id=str(n),
        url=f"https://example.test/{n}",
        title=f"item {n}",
        price=Decimal(10) if n % 4 else None,
        location=place,
        image_url=f"https://example.test/{n}.jpg" if image else None,
        posted_at=datetime(2026, 11, 30, tzinfo=UTC),
    )


def share(metrics: Metrics, marketplace: str, field: str) -> float | None:
    return metrics.registry.get_sample_value(
        "monitor_parse_field_share", {"marketplace": marketplace, "field": field}
    )


def test_coverage_counts_each_field() -> None:
    found = [listing(1), listing(2, place=""), listing(3, image=False), listing(4)]
    assert coverage(found) == {"price": 0.75, "place": 0.75, "image": 0.75, "posted_time": 1.0}


def test_a_drop_under_the_threshold_is_published_and_warned_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = Metrics()
    health = ParseHealth(metrics, window=3, min_listings=20)
    with caplog.at_level(logging.WARNING, logger="core.parse_health"):
        for _ in range(3):
            health.record("gumtree", [listing(n) for n in range(1, 11)])
        assert share(metrics, "gumtree", "place") == 1.0
        assert caplog.records == []
        # the selector drifted: pages keep coming, without places
        health.record("gumtree", [listing(n, place="") for n in range(1, 11)])
        assert share(metrics, "gumtree", "place") == pytest.approx(2 / 3)
        health.record("gumtree", [listing(n, place="") for n in range(1, 11)])
        assert share(metrics, "gumtree", "place") == pytest.approx(1 / 3)
        health.record("gumtree", [listing(n, place="") for n in range(1, 11)])
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1  # once per drop, not on every fetch
    assert "gumtree: only 33% of the listings of its last 3 fetches have a place" in warnings[0]
    assert share(metrics, "gumtree", "image") == 1.0


def test_it_warns_again_after_recovering_and_waits_for_enough_listings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    health = ParseHealth(Metrics(), window=1, min_listings=5)
    with caplog.at_level(logging.WARNING, logger="core.parse_health"):
        health.record("ebay", [listing(1, image=False)])  # too few to judge
        assert caplog.records == []
        health.record("ebay", [listing(n, image=False) for n in range(5)])
        health.record("ebay", [listing(n) for n in range(5)])
        health.record("ebay", [listing(n, image=False) for n in range(5)])
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["ebay", "ebay"]


async def test_the_runner_records_every_fetch(world: World) -> None:
    for n in range(30):
        world.market.add(str(n), f"Nintendo Switch {n}", location="" if n % 2 else "York")
    await world.create("nintendo switch")
    await world.cycle()
    metrics = world.runner.metrics
    assert share(metrics, "fake", "place") == 0.5
    assert share(metrics, "fake", "price") == 1.0
    assert world.runner.parse_health.shares("fake")["image"] == 0.0
