"""Parse health: how many parsed listings carry each field, per marketplace, lately.

A scraper whose selector drifted rarely fails outright: it goes on returning listings, with
no place or no photo. So every upstream fetch's listings are counted here (the runner sees
them all), the share of them having a price, a place, an image and a posted time over the
last fetches is published on /metrics, and a warning is logged when a share falls under its
threshold, the way a hard failure is noticed. A field a marketplace never fills warns once,
when first seen low, and again only after it recovered and fell again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from core.metrics import Metrics
from core.ports import ListingData

__all__ = ["FIELDS", "THRESHOLDS", "ParseHealth", "coverage"]

logger = logging.getLogger(__name__)

FIELDS: Mapping[str, Callable[[ListingData], bool]] = {
    "price": lambda x: x.price is not None,
    "place": lambda x: bool(x.location.strip()),
    "image": lambda x: bool(x.image_url),
    "posted_time": lambda x: x.posted_at is not None,
}
# Under these shares a field counts as broken (e.g. fewer than 60 % of listings with a place).
THRESHOLDS: Mapping[str, float] = {
    "price": 0.6,
    "place": 0.6,
    "image": 0.5,
    "posted_time": 0.5,
}


def coverage(listings: Sequence[ListingData]) -> dict[str, float]:
    """Share of ``listings`` having each field (0.0 when there are none)."""
    total = len(listings)
    return {
        name: (sum(1 for x in listings if has(x)) / total if total else 0.0)
        for name, has in FIELDS.items()
    }


@dataclass(slots=True)
class _Window:
    fetches: deque[tuple[int, dict[str, int]]]
    low: set[str] = field(default_factory=set)

    def add(self, listings: Sequence[ListingData]) -> None:
        counts = {name: sum(1 for x in listings if has(x)) for name, has in FIELDS.items()}
        self.fetches.append((len(listings), counts))

    def listings(self) -> int:
        return sum(total for total, _ in self.fetches)

    def shares(self) -> dict[str, float]:
        total = self.listings()
        return {
            name: sum(counts[name] for _, counts in self.fetches) / total if total else 0.0
            for name in FIELDS
        }


class ParseHealth:
    """Field coverage over the last ``window`` fetches of each marketplace.

    Judged only once the window holds ``min_listings`` listings, so one small page does not
    raise an alarm.
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        window: int = 10,
        min_listings: int = 20,
        thresholds: Mapping[str, float] = THRESHOLDS,
    ) -> None:
        self.metrics = metrics
        self.window = window
        self.min_listings = min_listings
        self.thresholds = dict(thresholds)
        self._windows: dict[str, _Window] = {}

    def record(self, marketplace: str, listings: Sequence[ListingData]) -> dict[str, float]:
        """Count one fetch's listings; returns the marketplace's shares now."""
        state = self._windows.setdefault(marketplace, _Window(deque(maxlen=self.window)))
        state.add(listings)
        shares = state.shares()
        if state.listings() < self.min_listings:
            return shares
        for name, share in shares.items():
            self.metrics.parse_field_share.labels(marketplace, name).set(share)
            self._judge(marketplace, name, share, state)
        return shares

    def shares(self, marketplace: str) -> dict[str, float]:
        state = self._windows.get(marketplace)
        return state.shares() if state is not None else {}

    def _judge(self, marketplace: str, name: str, share: float, state: _Window) -> None:
        threshold = self.thresholds.get(name, 0.0)
        if share >= threshold:
            state.low.discard(name)
            return
        if name in state.low:
            return
        state.low.add(name)
        logger.warning(
            "%s: only %.0f%% of the listings of its last %d fetches have a %s (under %.0f%%): "
            "the page or API may have changed; check with `marketplace-monitor probe %s`",
            marketplace,
            share * 100,
            len(state.fetches),
            name.replace("_", " "),
            threshold * 100,
            marketplace,
        )
