"""Blocked sellers (issue 14): one account's "never show me this seller again".

Blocks belong to the account, not to a search, and are applied after the fetch, when a
check turns listings into matches (``core.checks``): they are never part of a fetch key, so
one user's block cannot split a request shared with users who did not block that seller.
Sellers are compared casefolded, within one marketplace (the same name on two sites is
two people).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import cast

from core.errors import InvalidCriteria, not_available
from core.matches import get_owned_match
from core.matching import seller_key
from core.models import Account, BlockedSeller, Match
from core.views import AccountView

logger = logging.getLogger(__name__)

MAX_BLOCKS = 500  # per account: a list, not a spam filter


@dataclass(frozen=True, slots=True)
class Block:
    id: int
    marketplace: str
    seller: str


async def block_seller(account: AccountView, marketplace: str, seller: str) -> Block:
    """Block ``seller`` on ``marketplace`` for ``account`` (a repeat is a no-op)."""
    key = seller_key(seller)
    if not key:
        raise InvalidCriteria("This listing shows no seller, so there is nobody to block.")
    found = await BlockedSeller.get_or_none(
        account_id=account.id, marketplace=marketplace, seller=key
    )
    if found is None:
        if await BlockedSeller.filter(account_id=account.id).count() >= MAX_BLOCKS:
            raise InvalidCriteria(
                f"You have blocked {MAX_BLOCKS} sellers, the most I keep: unblock some in /blocked."
            )
        found, _ = await BlockedSeller.get_or_create(
            account_id=account.id, marketplace=marketplace, seller=key
        )
    return Block(found.id, found.marketplace, found.seller)


async def block_from_match(account: AccountView, match_id: int) -> Match:
    """The Block seller button of an alert: block the seller of the match's listing."""
    match = await get_owned_match(cast(Account, account), match_id)
    await block_seller(account, match.listing.marketplace, match.listing.seller)
    logger.info("account %s blocked a %s seller", account.id, match.listing.marketplace)
    return match


async def unblock(account: AccountView, block_id: int) -> Block:
    found = await BlockedSeller.get_or_none(id=block_id)
    if found is None or found.account_id != account.id:  # type: ignore[attr-defined]
        raise not_available("blocked seller", block_id, forbidden=found is not None)
    await found.delete()
    return Block(found.id, found.marketplace, found.seller)


async def list_blocked(account: AccountView) -> list[Block]:
    rows = await BlockedSeller.filter(account_id=account.id).order_by("marketplace", "seller")
    return [Block(r.id, r.marketplace, r.seller) for r in rows]


async def blocked_among(
    account_ids: Collection[int], sellers: Iterable[tuple[str, str]]
) -> set[tuple[int, str, str]]:
    """Which of ``sellers`` ((marketplace, seller) pairs) each of ``account_ids`` blocked, as
    (account id, marketplace, seller key). One query, only when some listing shows a seller."""
    keys = {(m, seller_key(s)) for m, s in sellers if seller_key(s)}
    if not keys or not account_ids:
        return set()
    rows = await BlockedSeller.filter(
        account_id__in=list(account_ids), seller__in=sorted({s for _, s in keys})
    ).values_list("account_id", "marketplace", "seller")
    return {(a, m, s) for a, m, s in rows if (m, s) in keys}


__all__ = [
    "Block",
    "block_from_match",
    "block_seller",
    "blocked_among",
    "list_blocked",
    "seller_key",
    "unblock",
]
