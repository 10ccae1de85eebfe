"""The quota planner of category feeds (core.feedplan): which categories become feeds, how
often they are read, and who slows down first when the day's calls run short."""

from __future__ import annotations

import pytest

from core.feedplan import DAY_SECONDS, PlanOptions, QueryDemand, feed_interval, plan


def queries(n: int, categories: tuple[str, ...], tier: str = "pro", interval: float = 300.0,
            prefix: str = "q") -> list[QueryDemand]:  # fmt: skip
    return [QueryDemand(f"{prefix}{i}", interval, tier, categories) for i in range(n)]


def test_a_busy_category_serves_all_its_queries_for_the_calls_of_one_feed() -> None:
    found = plan(queries(500, ("9355",)), {"9355": 20_000.0})
    assert set(found.feeds) == {"9355"}
    assert len(found.served) == 500 and not found.poll_interval
    feed = found.feeds["9355"]
    assert feed.interval == 300.0 and feed.pages == 1 and feed.queries == 500
    assert found.feed_calls == pytest.approx(288)
    # 500 polled queries would cost 500 × 288 calls.
    assert found.calls_per_day < 500 * 288 / 100


def test_a_lone_query_in_a_quiet_category_stays_polled() -> None:
    found = plan(queries(1, ("555",)), {"555": 10.0})
    assert not found.feeds and list(found.poll_interval) == ["q0"]
    assert found.poll_calls == pytest.approx(288)


def test_a_query_is_served_only_when_every_category_of_it_is_read() -> None:
    many = queries(50, ("9355",))
    mixed = [QueryDemand("both", 300.0, "pro", ("9355", "555"))]
    found = plan([*many, *mixed], {"9355": 20_000.0, "555": 10.0})
    assert "555" not in found.feeds  # one query does not pay for a feed
    assert "both" in found.poll_interval and "both" not in found.served


def test_a_busy_feed_is_read_as_often_as_a_useful_page_fills() -> None:
    options = PlanOptions(useful_page=150.0)
    interval, pages = feed_interval(100_000.0, 300.0, options)
    assert interval == pytest.approx(150 / (100_000 / DAY_SECONDS))  # ≈ 130 s, not 300
    assert pages == 1
    quiet, _ = feed_interval(500.0, 300.0, options)
    assert quiet == 300.0  # never slower than the queries are owed
    _, pages = feed_interval(1_000_000.0, 300.0, PlanOptions(useful_page=500.0))
    assert pages == 3  # a page holds 200


def test_quiet_sibling_leaves_are_read_through_their_parent() -> None:
    demand = [*queries(10, ("a",), prefix="a"), *queries(10, ("b",), prefix="b")]
    rates = {"a": 300.0, "b": 200.0, "parent": 600.0}
    found = plan(demand, rates, parents={"a": "parent", "b": "parent"})
    assert set(found.feeds) == {"parent"}
    assert found.served["a0"] == ("parent",)
    assert found.feed_calls == pytest.approx(288)
    # Without the parent's rate measured, each leaf is its own feed.
    separate = plan(demand, {"a": 300.0, "b": 200.0}, parents={"a": "parent", "b": "parent"})
    assert set(separate.feeds) == {"a", "b"}


def test_a_busy_parent_is_not_merged() -> None:
    demand = [*queries(10, ("a",), prefix="a"), *queries(10, ("b",), prefix="b")]
    rates = {"a": 300.0, "b": 200.0, "parent": 2_000_000.0}  # 7 pages a read
    found = plan(demand, rates, parents={"a": "parent", "b": "parent"})
    assert set(found.feeds) == {"a", "b"}


def test_over_budget_the_slowest_plan_slows_first() -> None:
    free = queries(20, (), tier="free", interval=1800.0, prefix="f")  # 48 calls a day each
    pro = queries(10, (), tier="pro", interval=300.0, prefix="p")  # 288 each
    needed = 20 * 48 + 10 * 288
    found = plan([*free, *pro], {}, PlanOptions(budget=needed - 480))
    assert found.fits
    assert found.slowed("pro") == 1.0
    assert found.slowed("free") == pytest.approx(2.0, rel=1e-3)  # half the free calls
    assert found.poll_interval["f0"] == pytest.approx(3600, rel=1e-3)
    assert found.poll_interval["p0"] == 300.0


def test_when_free_at_its_slowest_is_not_enough_the_next_plan_slows() -> None:
    free = queries(20, (), tier="free", interval=1800.0, prefix="f")
    pro = queries(10, (), tier="pro", interval=300.0, prefix="p")
    found = plan([*free, *pro], {}, PlanOptions(budget=10 * 288 / 2 + 20))
    assert found.fits
    assert found.poll_interval["f0"] == DAY_SECONDS  # a day: the slowest a plan allows
    assert found.slowed("pro") == pytest.approx(2.0, rel=0.05)


def test_within_budget_nobody_slows() -> None:
    found = plan(queries(3, (), tier="free", interval=1800.0), {})
    assert found.fits and found.slowed("free") == 1.0


def test_refresh_polls_are_counted() -> None:
    found = plan(queries(700, ("9355",)), {"9355": 20_000.0},
                 PlanOptions(refresh_seconds=7 * DAY_SECONDS))  # fmt: skip
    assert found.refresh_calls == pytest.approx(100)
    assert found.calls_per_day == pytest.approx(288 + 100)
