"""Exponential backoff with full jitter (after the AWS article "Exponential Backoff and Jitter")."""

from __future__ import annotations

import random


def backoff_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Seconds before try ``attempt + 1``: uniform in [base/2, min(cap, base·2^(attempt-1))].

    Full jitter spreads retries of many failing items so they don't return in a herd; the
    floor of base/2 keeps a retry from coming back immediately.
    """
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    floor = min(base / 2, ceiling)
    return (rng or random).uniform(floor, ceiling)


def poll_pause(seconds: float, rng: random.Random | None = None) -> float:
    """An idle poller's pause: ``seconds`` ± half, so pollers never lock into one phase.

    Fixed pauses keep each loop's phase pinned, and when several processes poll the same
    table the one that happens to tick just after each due instant would claim everything,
    leaving the others idle. Jitter lets every poller win its share.
    """
    return (rng or random).uniform(seconds / 2, seconds * 3 / 2)
