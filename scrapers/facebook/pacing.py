"""Human-like pacing in the browser: look at the page, scroll in uneven steps, pause.

A person glances at the first screen, scrolls a varying distance, waits for pictures, and
scrolls again; a bot scrolls by exact screen heights at machine speed. Facebook notices the
second. Tests use ``Pacing.instant()``.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

__all__ = ["Pacing"]


@dataclass(frozen=True, slots=True)
class Pacing:
    settle: tuple[float, float] = (1.5, 3.5)  # seconds looking at a freshly loaded page
    scroll_pause: tuple[float, float] = (0.8, 2.2)  # between two scrolls
    scroll_pixels: tuple[int, int] = (500, 1300)
    growth_timeout: float = 6.0  # at the bottom: how long to wait for more cards to load
    idle_scrolls: int = 2  # at the bottom without new cards this often: that was all
    max_scrolls: int = 15
    navigation_timeout: float = 30.0
    total_timeout: float = 150.0  # one whole search, scrolling included
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def instant(cls, *, growth_timeout: float = 1.0, navigation_timeout: float = 10.0) -> Pacing:
        """No pauses (tests): only the waits for the page itself remain."""
        return cls(
            settle=(0.0, 0.0),
            scroll_pause=(0.0, 0.0),
            scroll_pixels=(1500, 1500),
            growth_timeout=growth_timeout,
            idle_scrolls=1,
            navigation_timeout=navigation_timeout,
            total_timeout=navigation_timeout * 3,
        )

    async def pause(self, bounds: tuple[float, float]) -> None:
        low, high = bounds
        if high > 0:
            await asyncio.sleep(self.rng.uniform(low, high))

    def scroll_step(self) -> int:
        return self.rng.randint(*self.scroll_pixels)

    def pointer(self, width: int, height: int) -> tuple[float, float]:
        """Somewhere over the listings, not the exact centre every time."""
        return self.rng.uniform(0.3, 0.7) * width, self.rng.uniform(0.3, 0.7) * height
