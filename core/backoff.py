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
