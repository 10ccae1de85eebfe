"""Saved listings stay true (issue 14): a periodic pass asks each marketplace that can say
(``core.ports.ListingChecker``: eBay's getItems, 20 ids a call) what became of the
listings someone saved, and records it on the listing (``Listing.state``); /saved then
shows "sold", "ended" or "gone".

It costs upstream calls, so it is modest: a listing is re-checked at most every
``recheck_seconds``, a pass makes at most ``calls_per_pass`` calls per marketplace, and every
call goes through the adapter's own pacing and daily quota (a spent quota ends that
marketplace's pass; searches are not starved beyond what the pass already took). Listings
that are no longer available are not checked again.

Personal saves from alerts in shared chats (``saved_listing``) are checked too: /saved shows
their state the same way. Only a search that asked (``tell_saved_state``) has its chat told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.expressions import Q, Subquery

from core.clock import Clock, utcnow
from core.criteria import Criteria
from core.enums import ListingState, MatchStatus
from core.errors import InvalidCriteria, MarketplaceError, QuotaSpent
from core.models import Listing, Match, SavedListing
from core.outbox import queue_notice
from core.ports import ListingChecker, Marketplace

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SavedStateOptions:
    interval_seconds: float = 600.0  # between passes
    recheck_seconds: float = 6 * 3600.0  # a listing is asked about at most this often
    # Upstream calls per marketplace per pass: eBay answers 20 listings a call, a site
    # checked page by page (Gumtree) one, so it costs its search pacing only this often.
    calls_per_pass: int = 10


@dataclass(slots=True)
class PassReport:
    checked: dict[str, int] = field(default_factory=dict)  # marketplace → listings asked about
    changed: dict[str, int] = field(default_factory=dict)  # marketplace → no longer available


class SavedStateChecker:
    def __init__(
        self,
        marketplaces: Mapping[str, Marketplace],
        options: SavedStateOptions | None = None,
        *,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.checkers = {
            name: market
            for name, market in marketplaces.items()
            if isinstance(market, ListingChecker)
        }
        self.options = options or SavedStateOptions()
        self.clock = clock
        self.rng = rng or random.Random()
        self._next_at: datetime | None = None

    async def run(self, stopping: asyncio.Event) -> None:
        """Passes until ``stopping`` is set (hosted next to the runner's loops)."""
        while not stopping.is_set() and self.checkers:
            await self.maybe_run()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.options.interval_seconds / 10)

    async def maybe_run(self) -> PassReport | None:
        now = self.clock()
        if self._next_at is not None and now < self._next_at:
            return None
        pause = self.options.interval_seconds * self.rng.uniform(0.8, 1.2)
        self._next_at = now + timedelta(seconds=pause)
        try:
            return await self.run_once()
        except Exception:  # must never stop the loop that hosts it
            logger.exception("saved-listing check failed; trying again later")
            return None

    async def run_once(self) -> PassReport:
        report = PassReport()
        for name, checker in self.checkers.items():
            checked, changed = await self._check(name, checker)
            report.checked[name], report.changed[name] = checked, changed
        return report

    async def _check(self, name: str, checker: ListingChecker) -> tuple[int, int]:
        now = self.clock()
        stale = now - timedelta(seconds=self.options.recheck_seconds)
        # Saved either way: a match saved in a private chat, or a personal save from an alert
        # in a shared chat (saved_listing, issue 12; the channel's match stays "new").
        saved_matches = Subquery(Match.filter(status=MatchStatus.SAVED).values("listing_id"))
        saved_personally = Subquery(SavedListing.all().values("listing_id"))
        due = (
            await Listing.filter(
                Q(state_checked_at=None) | Q(state_checked_at__lt=stale),
                Q(id__in=saved_matches) | Q(id__in=saved_personally),
                marketplace=name,
                state=ListingState.AVAILABLE,
            )
            .order_by("id")
            .limit(self.options.calls_per_pass * max(1, checker.check_batch_size))
            .values_list("id", "external_id", "url")
        )
        checked = changed = 0
        size = max(1, checker.check_batch_size)
        for start in range(0, len(due), size):
            chunk = due[start : start + size]
            try:
                states = await checker.check_listings([(ext, url) for _, ext, url in chunk])
            except QuotaSpent:
                logger.info("%s: daily quota spent; saved listings wait for tomorrow", name)
                break
            except MarketplaceError as exc:
                logger.warning("%s: saved-listing check failed: %s", name, exc)
                break
            checked += len(chunk)
            by_state: dict[ListingState, list[int]] = {}
            for listing_id, external_id, _ in chunk:
                state = states.get(external_id, ListingState.AVAILABLE)
                by_state.setdefault(state, []).append(listing_id)
            for state, ids in by_state.items():  # one write per state, not per listing
                await Listing.filter(id__in=ids).update(state=state, state_checked_at=now)
                if state is not ListingState.AVAILABLE:
                    changed += len(ids)
                    await _tell(ids, state, now)
        return checked, changed


_SAID = {
    ListingState.SOLD: "has sold",
    ListingState.ENDED: "has ended",
    ListingState.GONE: "is no longer on the marketplace",
}


async def _tell(listing_ids: list[int], state: ListingState, now: datetime) -> None:
    """Once per saved match (the notice key), to searches that asked (``tell_saved_state``)."""
    saved = await Match.filter(listing_id__in=listing_ids, status=MatchStatus.SAVED).select_related(
        "search__destination", "listing"
    )
    for match in saved:
        try:
            wanted = Criteria.from_json(match.search.criteria).tell_saved_state
        except InvalidCriteria:
            continue
        if wanted:
            text = f"⭐ A listing you saved {_SAID[state]}: {match.listing.title} (/saved)"
            key = f"saved-state:{match.id}:{state.value}"
            await queue_notice(match.search.destination, key, text, now)


__all__ = ["PassReport", "SavedStateChecker", "SavedStateOptions"]
