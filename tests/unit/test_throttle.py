"""The per-provider rate limit."""

from __future__ import annotations

import time

import pytest

from core.errors import DeliveryError
from notifiers import Throttle


async def test_sends_beyond_the_burst_are_spaced_out() -> None:
    throttle = Throttle(per_second=20, burst=2)
    started = time.monotonic()
    for _ in range(6):
        await throttle.acquire()
    # Two at once, then four at 20 a second.
    assert 0.18 <= time.monotonic() - started < 1.0


async def test_a_send_that_would_wait_too_long_is_retried_later_instead() -> None:
    throttle = Throttle(per_second=1, burst=1, max_wait_seconds=0.5)
    await throttle.acquire()
    with pytest.raises(DeliveryError) as caught:
        await throttle.acquire()
    assert not caught.value.permanent
