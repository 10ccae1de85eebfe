"""Aligned due times, circuit breakers, coalescing and telling the user once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.breaker import BreakerState, CircuitBreaker
from core.errors import Blocked, RateLimited, Unavailable
from core.scheduling import (
    ALIGN_PERIOD_SECONDS,
    SPREAD_SECONDS,
    due_after_check,
    next_due,
    phase_seconds,
)

INTERVALS = (15, 60, 300, 900, 1800, 3600, 10800, 86400)
keys = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@given(key=keys, after=moments, interval=st.sampled_from(INTERVALS))
def test_next_due_is_never_later_than_one_interval(
    key: str, after: datetime, interval: int
) -> None:
    due = next_due(after, interval, key)
    assert after < due <= after + timedelta(seconds=interval)
    # Successive checks are exactly one interval apart: never slower than paid for.
    assert next_due(due, interval, key) == due + timedelta(seconds=interval)


@given(
    key=keys,
    after=moments,
    slow=st.sampled_from((300, 900, 1800, 3600, 86400)),
    spreads=st.tuples(st.integers(0, SPREAD_SECONDS - 1), st.integers(0, SPREAD_SECONDS - 1)),
)
def test_a_slower_search_lands_on_the_faster_ones_instants(
    key: str, after: datetime, slow: int, spreads: tuple[int, int]
) -> None:
    """Same key: each 30-min check falls within the share window of a 5-min (and 1-min)
    check → one fetch serves both."""
    due = next_due(after, slow, key, spreads[0])
    for fast in (60, 300):
        if fast <= slow:
            fast_due = next_due(due - timedelta(seconds=SPREAD_SECONDS), fast, key, spreads[1])
            assert abs((fast_due - due).total_seconds()) < SPREAD_SECONDS


def test_phases_spread_load_over_the_period() -> None:
    phases = [phase_seconds(f"{n:032x}"[::-1], 300) for n in range(3000)]
    per_minute = [sum(1 for p in phases if m * 60 <= p < (m + 1) * 60) for m in range(5)]
    assert min(per_minute) > 500  # roughly 600 each: no thundering herd
    assert all(0 <= p < ALIGN_PERIOD_SECONDS for p in phases)


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_breaker_opens_after_repeated_failures_then_probes_and_closes() -> None:
    breaker = CircuitBreaker("ebay", failure_threshold=3, base_cooldown_seconds=60)
    for _ in range(2):
        assert breaker.allow(NOW)
        assert not breaker.record_failure(Unavailable("timeout"), NOW)
    assert breaker.record_failure(Unavailable("timeout"), NOW)
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow(NOW + timedelta(seconds=59))
    later = NOW + timedelta(seconds=61)
    assert breaker.allow(later)  # the one probe
    assert not breaker.allow(later)  # nobody else while it is out
    assert breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow(later)


def test_failed_probe_doubles_the_cooldown() -> None:
    breaker = CircuitBreaker("gumtree", base_cooldown_seconds=60)
    breaker.record_failure(Blocked("403"), NOW)  # blocked: open at once
    assert breaker.cooldown_seconds == 60
    probe_at = NOW + timedelta(seconds=61)
    assert breaker.allow(probe_at)
    breaker.record_failure(Blocked("403"), probe_at)
    assert breaker.cooldown_seconds == 120
    assert breaker.open_until == probe_at + timedelta(seconds=120)


def test_rate_limited_waits_the_asked_delay() -> None:
    breaker = CircuitBreaker("craigslist")
    breaker.record_failure(RateLimited("slow", retry_after=90), NOW)
    assert not breaker.allow(NOW + timedelta(seconds=89))
    assert breaker.allow(NOW + timedelta(seconds=91))


@given(
    key=keys,
    checked=moments,
    interval=st.sampled_from(INTERVALS),
    spread=st.integers(0, SPREAD_SECONDS - 1),
)
def test_checks_are_never_closer_than_half_an_interval(
    key: str, checked: datetime, interval: int, spread: int
) -> None:
    due = due_after_check(checked, interval, key, spread)
    gap = (due - checked).total_seconds()
    assert interval / 2 <= gap < interval * 1.5
    # And once on its grid, a search on time is checked exactly every interval.
    assert due_after_check(due, interval, key, spread) == due + timedelta(seconds=interval)
