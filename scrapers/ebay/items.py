"""Browse ``getItems`` (``GET /buy/browse/v1/item/?item_ids=a,b,…``, at most 20 ids) →
what became of each listing (issue 14: saved listings stay true).

The answer is ``{"items": [CoreItem…], "total", "warnings"}``; an id eBay no longer knows is
left out of ``items`` (with a warning). Per eBay, a listing is available unless its
``itemEndDate`` is past; ``estimatedAvailabilities[].estimatedAvailabilityStatus`` is
``OUT_OF_STOCK`` once the last one sold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from core.enums import ListingState
from core.errors import ParseError

__all__ = ["MAX_IDS", "parse_items"]

MAX_IDS = 20  # Browse's limit for item_ids


def parse_items(payload: Any, asked: Sequence[str], now: datetime) -> dict[str, ListingState]:
    """The state of every id in ``asked``: an id missing from the answer is GONE."""
    if not isinstance(payload, Mapping) or not ({"items", "total", "warnings"} & payload.keys()):
        raise ParseError("eBay's getItems answer has no items: the API changed", marketplace="ebay")
    items = payload.get("items") or []
    states = {item_id: ListingState.GONE for item_id in asked}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and item.get("itemId") in states:
            states[str(item["itemId"])] = _state(item, now)
    return states


def _state(item: Mapping[str, Any], now: datetime) -> ListingState:
    availabilities = item.get("estimatedAvailabilities")
    for entry in availabilities if isinstance(availabilities, list) else []:
        if (
            isinstance(entry, Mapping)
            and entry.get("estimatedAvailabilityStatus") == "OUT_OF_STOCK"
        ):
            return ListingState.SOLD
    ends = item.get("itemEndDate")
    if isinstance(ends, str):
        try:
            if datetime.fromisoformat(ends) <= now:
                return ListingState.ENDED
        except ValueError:
            pass
    return ListingState.AVAILABLE
