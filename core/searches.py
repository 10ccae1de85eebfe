"""Searches: create, change, pause, resume, delete, list — with the tier's limits applied."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from core.clock import Clock, utcnow
from core.criteria import Criteria
from core.enums import Channel, SearchStatus, Tier
from core.errors import (
    ChannelNotVerified,
    InvalidCriteria,
    MarketplaceError,
    TierLimitExceeded,
    not_available,
)
from core.fetchkeys import keys_for, link_search, schedule_key
from core.keystate import keys_of_searches, recompute_for_searches, recompute_keys
from core.models import Search, SearchFetchKey
from core.outbox import queue_notice
from core.ports import MarketplaceQuestion, SearchWatcher
from core.scheduling import with_key_state
from core.text import clean_for, clean_text, limit
from core.tiers import SLOWEST_INTERVAL_SECONDS, TierTable, describe_interval
from core.views import AccountView, DestinationView

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = limit(Search, "name")
NOTE_DELAY = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class SearchDraft:
    """Everything needed to create a search; what the wizard collects."""

    name: str
    criteria: Criteria
    marketplaces: tuple[str, ...]
    interval_seconds: int
    channels: tuple[Channel, ...] = (Channel.CHAT,)
    template_slug: str | None = field(default=None, compare=False)


class SearchService:
    """Search lifecycle. ``marketplaces`` are the names this deployment can check."""

    def __init__(
        self,
        tiers: TierTable,
        marketplaces: Iterable[str],
        clock: Clock = utcnow,
        *,
        watchers: Sequence[SearchWatcher] = (),
    ) -> None:
        self.tiers = tiers
        self.marketplaces = tuple(marketplaces)
        self.clock = clock
        self.watchers = tuple(watchers)
        # Given the adapters themselves, keep what each asks beyond the common criteria.
        self.questions: dict[str, tuple[MarketplaceQuestion, ...]] = (
            {name: tuple(getattr(m, "questions", ())) for name, m in marketplaces.items()}
            if isinstance(marketplaces, Mapping)
            else {}
        )
        # The currency each prices in, for a search with given extras (its own fields, e.g.
        # {"site": "london"}): the wizard's default currency. An adapter without
        # ``default_currency`` has none to offer.
        self.currencies: dict[str, Callable[[Mapping[str, str]], str]] = (
            {
                name: m.default_currency
                for name, m in marketplaces.items()
                if callable(getattr(m, "default_currency", None))
            }
            if isinstance(marketplaces, Mapping)
            else {}
        )

    async def create(
        self, account: AccountView, destination: DestinationView, draft: SearchDraft
    ) -> Search:
        draft = cleaned(draft)
        self._validate(account, draft)
        await self._check_search_count(account)
        now = self.clock()
        keys = keys_for(draft.criteria, draft.marketplaces)
        async with in_transaction() as conn:
            search = await Search.create(
                account_id=account.id,
                destination_id=destination.id,
                name=draft.name,
                criteria=draft.criteria.to_json(),
                marketplaces=list(draft.marketplaces),
                channels=[c.value for c in draft.channels],
                interval_seconds=draft.interval_seconds,
                fetch_key=schedule_key(keys),
                # Due now: whichever process runs a runner makes the first check, which
                # primes the search and queues its preview as a notice to the chat.
                next_check_at=now,
                using_db=conn,
            )
            await link_search(conn, search.id, keys, now)
        logger.info("search %s created by account %s", search.id, account.id)
        await self._tell_watchers(search, destination, draft)
        return search

    async def update(self, account: AccountView, search_id: int, draft: SearchDraft) -> Search:
        search = await self.get_owned(account, search_id)
        draft = cleaned(draft)
        self._validate(account, draft)
        search.name = draft.name
        search.criteria = draft.criteria.to_json()
        search.marketplaces = list(draft.marketplaces)
        search.channels = [c.value for c in draft.channels]
        search.interval_seconds = draft.interval_seconds
        now = self.clock()
        keys = keys_for(draft.criteria, draft.marketplaces)
        search.fetch_key = schedule_key(keys)
        # New criteria: record what exists now as seen again (a new preview, no flood), at
        # once: the runner checks it as soon as it is due.
        search.primed_at = None
        search.next_check_at = now
        search.last_error = None
        async with in_transaction() as conn:
            await search.save(using_db=conn)
            await link_search(conn, search.id, keys, now)
        await self._tell_watchers(search, await search.destination, draft)
        return search

    async def _tell_watchers(
        self, search: Search, destination: DestinationView, draft: SearchDraft
    ) -> None:
        """Each watcher's line, if any, goes to the search's chat as a notice."""
        for watcher in self.watchers:
            try:
                note = await watcher.search_saved(draft.criteria, draft.marketplaces)
            except MarketplaceError as exc:  # a demo aid: saving the search never depends on it
                logger.warning("search %s: a watcher failed: %s", search.id, exc)
                continue
            if note:
                # Once per search and criteria; a moment later, so the chat shows the
                # search's confirmation first.
                await queue_notice(
                    destination,
                    f"watch:{search.id}:{_digest(draft.criteria)}",
                    f"#{search.id} {search.name}: {note}",
                    self.clock() + NOTE_DELAY,
                )

    async def pause(self, account: AccountView, search_id: int) -> Search:
        search = await self.get_owned(account, search_id)
        search.status = SearchStatus.PAUSED
        # The user's own pause: an upgrade never undoes it (core.billing resumes only "plan").
        search.paused_reason = None
        async with in_transaction() as conn:
            await search.save(
                update_fields=["status", "paused_reason", "updated_at"], using_db=conn
            )
            await recompute_for_searches(conn, [search.id], self.clock())
        return search

    async def resume(self, account: AccountView, search_id: int) -> Search:
        search = await self.get_owned(account, search_id)
        if search.status is SearchStatus.ACTIVE:
            return search
        await self._check_search_count(account)
        self._check_tier_fits(account.tier, len(search.marketplaces), search.interval_seconds)
        search.status = SearchStatus.ACTIVE
        search.next_check_at = self.clock()
        search.consecutive_failures = 0
        async with in_transaction() as conn:
            await search.save(
                update_fields=["status", "next_check_at", "consecutive_failures", "updated_at"],
                using_db=conn,
            )
            await recompute_for_searches(conn, [search.id], self.clock())
        return search

    async def delete(self, account: AccountView, search_id: int) -> None:
        search = await self.get_owned(account, search_id)
        async with in_transaction() as conn:
            # Its links go with it (the key rows stay: other searches, and later statistics).
            keys = await keys_of_searches(conn, [search.id])
            await SearchFetchKey.filter(search_id=search.id).using_db(conn).delete()
            await search.delete(using_db=conn)
            await recompute_keys(conn, keys, self.clock())
        logger.info("search %s deleted by account %s", search_id, account.id)

    async def list_for(self, account: AccountView) -> list[Search]:
        # Last check and error are the keys' (the unit of scheduled work).
        return await with_key_state(await Search.filter(account_id=account.id).order_by("id"))

    async def get_owned(self, account: AccountView, search_id: int) -> Search:
        search = await Search.get_or_none(id=search_id)
        if search is None:
            raise not_available("search", search_id)
        if search.account_id != account.id:  # type: ignore[attr-defined]
            logger.warning("account %s asked for search %s of another", account.id, search_id)
            raise not_available("search", search_id, forbidden=True)
        await with_key_state([search])
        return search

    async def ensure_can_add(self, account: AccountView) -> None:
        """Raises TierLimitExceeded before a wizard starts, not after it is filled in."""
        await self._check_search_count(account)

    async def enforce_tier(self, account: AccountView) -> list[Search]:
        """After a downgrade: pause what the tier no longer allows, newest first. Returns them."""
        limits = self.tiers.for_tier(account.tier)
        active = await Search.filter(account_id=account.id, status=SearchStatus.ACTIVE).order_by(
            "-created_at", "-id"
        )
        paused: list[Search] = []
        for index, search in enumerate(active):
            over_count = limits.max_searches is not None and (
                len(active) - index > limits.max_searches
            )
            too_fast = search.interval_seconds < limits.fastest_interval_seconds
            too_wide = len(search.marketplaces) > limits.max_marketplaces_per_search
            if over_count or too_fast or too_wide:
                search.status = SearchStatus.PAUSED
                await search.save(update_fields=["status", "updated_at"])
                paused.append(search)
        if paused:
            async with in_transaction() as conn:
                await recompute_for_searches(conn, [s.id for s in paused], self.clock())
        return paused

    def _validate(self, account: AccountView, draft: SearchDraft) -> None:
        name = draft.name
        if not name or len(name) > MAX_NAME_LENGTH:
            raise InvalidCriteria(f"A name needs 1 to {MAX_NAME_LENGTH} characters.")
        unknown = [m for m in draft.marketplaces if m not in self.marketplaces]
        if not draft.marketplaces or unknown:
            raise InvalidCriteria("Choose marketplaces from: " + ", ".join(self.marketplaces) + ".")
        if Channel.CHAT not in draft.channels:
            raise InvalidCriteria("Chat alerts are always on; other channels come on top.")
        _check_channels_verified(account, draft.channels)
        if draft.interval_seconds > SLOWEST_INTERVAL_SECONDS:
            raise InvalidCriteria("The slowest check is once a day.")
        self._check_tier_fits(account.tier, len(draft.marketplaces), draft.interval_seconds)

    def _check_tier_fits(self, tier: Tier, marketplace_count: int, interval: int) -> None:
        # No way up is named: there is no upgrade command until billing adds one.
        limits = self.tiers.for_tier(tier)
        if marketplace_count > limits.max_marketplaces_per_search:
            raise TierLimitExceeded(
                limit="marketplaces_per_search",
                tier=tier.value,
                allowed=limits.max_marketplaces_per_search,
            )
        if interval < limits.fastest_interval_seconds:
            fastest = describe_interval(limits.fastest_interval_seconds)
            raise TierLimitExceeded(limit="fastest_interval", tier=tier.value, allowed=fastest)

    async def _check_search_count(self, account: AccountView) -> None:
        limits = self.tiers.for_tier(account.tier)
        if limits.max_searches is None:
            return
        active = await Search.filter(account_id=account.id, status=SearchStatus.ACTIVE).count()
        if active >= limits.max_searches:
            raise TierLimitExceeded(
                limit="searches",
                tier=account.tier.value,
                allowed=limits.max_searches,
                current=active,
            )


def _digest(criteria: Criteria) -> str:
    text = json.dumps(criteria.to_json(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cleaned(draft: SearchDraft) -> SearchDraft:
    """The draft as it will be stored: what the user typed, cleaned (core.text) before it is
    validated, so a name or keywords that clean to nothing are refused, not stored empty.

    Every way a search is created or changed (wizard, /edit, templates) passes through here.
    The name is not cut: one over the column's length is refused by ``_validate``.
    """
    criteria = Criteria.from_json(clean_for(Search, "criteria", draft.criteria.to_json()))
    return replace(draft, name=clean_text(draft.name).strip(), criteria=criteria)


def _check_channels_verified(account: AccountView, channels: Sequence[Channel]) -> None:
    verified: dict[Channel, datetime | None] = {
        Channel.EMAIL: account.email_verified_at,
        Channel.SMS: account.phone_verified_at,
        Channel.WEBHOOK: account.webhook_verified_at,
    }
    for channel in channels:
        if channel is not Channel.CHAT and verified.get(channel) is None:
            raise ChannelNotVerified(channel.value)


def draft_of(search: Search) -> SearchDraft:
    """A stored search as a draft, to edit it in the wizard."""
    return SearchDraft(
        name=search.name,
        criteria=Criteria.from_json(search.criteria),
        marketplaces=tuple(search.marketplaces),
        interval_seconds=search.interval_seconds,
        channels=tuple(Channel(c) for c in search.channels),
    )


async def for_destination(destination_id: int) -> list[Search]:
    """The searches posting to one chat (a group's /searches), oldest first."""
    return await with_key_state(await Search.filter(destination_id=destination_id).order_by("id"))
