"""The sandbox server's configuration and the state one app instance carries."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from core.clock import Clock
from scrapers.sandbox.generator import ListingGenerator
from scrapers.sandbox.images import ImageCache
from scrapers.sandbox.picker import Pick

__all__ = ["STATE", "SandboxConfig", "SandboxState"]


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Knobs of the sandbox marketplace.

    ``latency_ms`` delays every search; ``error_rate`` is the share of searches answered 503
    (seeded, so runs repeat); every ``rate_limit_every``-th search gets a 429 with
    ``Retry-After: 2`` (0 = never). ``echo_delay_seconds`` (off when None) is a demo aid: for
    each search saved through ``POST /api/watch``, a catalogue listing it matches is listed
    that long after its query is first searched.
    """

    seed: int = 7
    listings_per_minute: float = 6.0
    latency_ms: float = 0
    error_rate: float = 0.0
    echo_delay_seconds: float | None = None
    initial_stock: int = 500
    rate_limit_every: int = 0
    price_drop_rate: float = 0.02


class SandboxState:
    """Everything one running sandbox remembers; created per app, never shared."""

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.generator = ListingGenerator(
            config.seed,
            clock(),
            config.listings_per_minute,
            initial_stock=config.initial_stock,
            price_drop_rate=config.price_drop_rate,
        )
        self.faults = random.Random(f"{config.seed}:faults")
        self.search_count = 0
        self.pick_rng = random.Random(f"{config.seed}:picks")
        # Watched queries (see api.query_key) → listings to post once each is first searched.
        self.pending: dict[tuple[tuple[str, str], ...], list[Pick]] = {}
        self.echo_tasks: set[asyncio.Task[None]] = set()
        self.images = ImageCache()

    def now(self) -> datetime:
        """The current time, with every listing due by then generated."""
        now = self.clock()
        self.generator.advance_to(now)
        return now


STATE = web.AppKey("sandbox_state", SandboxState)
