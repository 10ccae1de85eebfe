"""Retry delays and idle pauses: bounded, and jittered so pollers and retries don't herd."""

from __future__ import annotations

import random

from core.backoff import backoff_delay, poll_pause


def test_backoff_grows_to_its_cap_and_never_returns_at_once() -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        delay = backoff_delay(attempt, base=30, cap=3600, rng=rng)
        assert 15 <= delay <= min(3600, 30 * 2 ** (attempt - 1))


def test_poll_pauses_vary_around_the_setting() -> None:
    rng = random.Random(7)
    pauses = [poll_pause(1.0, rng) for _ in range(200)]
    assert all(0.5 <= p <= 1.5 for p in pauses)
    # A fixed pause would pin each poller's phase: one process would win every due instant.
    assert max(pauses) - min(pauses) > 0.5
