"""Craigslist's sapi JSON (``/web/v8/postings/search/full``) → ListingData.

The envelope is ``{"data": {...}, "errors": [...]}``. ``data.items`` holds compact arrays
decoded against ``data.decode`` (``minPostingId``, ``minPostedDate``, ``locations``,
``locationDescriptions``); a search with no result sends ``"decode": 0`` and no items.
One item, as the real API sends it::

    [24018424, 3905285, 133, 450, "1:2~37.76~-122.42", 0, [13, "hh7zED…"],
     [4, "3:00x0x_abc…"], [6, "san-francisco-trek-road-bike"], [10, "$450"], "Trek road bike"]

* ``[0]`` + ``decode.minPostingId`` = the numeric posting id (the id before the 2026
  ``www.craigslist.org/view/d/<slug>/<token>`` links; the token is the id now);
  ``[1]`` + ``decode.minPostedDate`` = the posting time (epoch seconds); ``[2]`` the
  category id; ``[3]`` the price in whole currency units, ``-1`` when none is given (free
  on the free board, or when the shown price says "free");
* ``[4]`` ``"<location index>:<description index>~lat~lon"`` into ``decode.locations``
  (``[area id, hostname, sub-area]``) and ``decode.locationDescriptions``;
* then tagged arrays — ``[4, images…]``, ``[6, url slug]``, ``[10, shown price]``,
  ``[13, token]`` — in no fixed order, and the title as the last plain string.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.errors import ParseError
from core.ports import ListingData
from scrapers.common import parse_price

__all__ = ["IMAGE_URL", "parse_search_api"]

logger = logging.getLogger(__name__)

NAME = "craigslist"
IMAGE_URL = "https://images.craigslist.org/{image}_600x450.jpg"
FIRST_TAGGED = 5  # positions before this are fixed fields, never the title
FREE_CATEGORY = "zip"  # "free stuff": its postings have no price, they are free


@dataclass(frozen=True, slots=True)
class _Decode:
    min_id: int
    min_date: int
    locations: Sequence[Any]
    descriptions: Sequence[Any]


def parse_search_api(
    payload: Any,
    *,
    site_url: str = "https://{site}.craigslist.org",
    site: str = "",
    currency: str = "USD",
    category_abbr: Callable[[int], str | None] = lambda _: None,
    free_board: bool = False,
) -> list[ListingData]:
    """Listings of one sapi answer; ``ParseError`` when it is not a search result any more."""
    data = _data(payload)
    items = data.get("items")
    if not isinstance(items, list):
        raise ParseError("craigslist's search JSON has no items list", marketplace=NAME)
    if not items:
        return []  # no results; real answers then carry "decode": 0
    decode = _decode(data.get("decode"))
    found = []
    for item in items:
        listing = _listing(item, decode, site_url, site, currency, category_abbr, free_board)
        if listing is not None:
            found.append(listing)
    if not found:
        raise ParseError(
            f"none of craigslist's {len(items)} search items could be decoded", marketplace=NAME
        )
    return found


def _data(payload: Any) -> Mapping[str, Any]:
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, Mapping):
        errors = payload.get("errors") if isinstance(payload, Mapping) else None
        raise ParseError(
            f"craigslist's search JSON has no data object (errors: {errors!r:.200})",
            marketplace=NAME,
        )
    return data


def _decode(raw: Any) -> _Decode:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("minPostingId"), int):
        raise ParseError("craigslist's search JSON lacks decode.minPostingId", marketplace=NAME)
    min_date = raw.get("minPostedDate")
    return _Decode(
        min_id=raw["minPostingId"],
        min_date=min_date if isinstance(min_date, int) else 0,
        locations=_list(raw.get("locations")),
        descriptions=_list(raw.get("locationDescriptions")),
    )


def _list(value: Any) -> Sequence[Any]:
    if isinstance(value, str):  # some answers carry a table as a JSON string
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    return value if isinstance(value, list) else ()


def _listing(
    item: Any,
    decode: _Decode,
    site_url: str,
    site: str,
    currency: str,
    category_abbr: Callable[[int], str | None],
    free_board: bool,
) -> ListingData | None:
    if not isinstance(item, list) or len(item) < FIRST_TAGGED or not isinstance(item[0], int):
        return None
    title = _title(item)
    if not title:
        logger.debug("craigslist: skipping an item without a title: %.200r", item)
        return None
    tags = _tags(item)
    posting_id = str(decode.min_id + item[0])
    token = tags.get(13) if isinstance(tags.get(13), str) and tags.get(13) else None
    host, subarea, place = _place(item[4], decode, site)
    category = category_abbr(item[2]) if isinstance(item[2], int) else None
    return ListingData(
        marketplace=NAME,
        # The token is the id in today's links; listings stored under the numeric id
        # before are re-keyed to it (core.listings), so they do not alert again.
        external_id=token or posting_id,
        former_ids=(posting_id,) if token else (),
        url=_url(site_url, host, subarea, category, tags.get(6), posting_id, token),
        title=title,
        price=_price(item[3], tags.get(10), free_board=free_board or category == FREE_CATEGORY),
        currency=currency,
        location=place,
        image_url=_image(tags.get(4)),
        posted_at=_posted(item[1], decode.min_date),
    )


def _title(item: list[Any]) -> str:
    for value in reversed(item[FIRST_TAGGED:]):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _tags(item: list[Any]) -> dict[int, Any]:
    """``[code, value…]`` arrays by code; the value is the first element after the code."""
    found: dict[int, Any] = {}
    for value in item[FIRST_TAGGED:]:
        if isinstance(value, list) and len(value) > 1 and isinstance(value[0], int):
            found.setdefault(value[0], value[1])
    return found


def _place(raw: Any, decode: _Decode, site: str) -> tuple[str, str, str]:
    """(hostname, sub-area, place text) from ``"loc:desc~lat~lon"``."""
    indexes = raw.split("~", 1)[0].split(":") if isinstance(raw, str) else []
    numbers = [int(i) if i.isdigit() else -1 for i in indexes]
    location = _at(decode.locations, numbers[0]) if numbers else None
    host, subarea = site, ""
    if isinstance(location, list) and len(location) > 1 and isinstance(location[1], str):
        host = location[1] or site
        subarea = location[2] if len(location) > 2 and isinstance(location[2], str) else ""
    description = _at(decode.descriptions, numbers[1]) if len(numbers) > 1 else None
    place = description if isinstance(description, str) and description else subarea or host
    return host or site, subarea, place


def _at(values: Sequence[Any], index: int) -> Any:
    return values[index] if 0 <= index < len(values) else None


def _url(
    site_url: str,
    host: str,
    subarea: str,
    category: str | None,
    slug: Any,
    posting_id: str,
    token: str | None,
) -> str:
    """The posting's address as the site links it today: ``www…/view/d/<slug>/<token>``.
    Without a token, the older ``<site>…/<category>/d/<slug>/<id>.html``; without category or
    slug either, the search address Craigslist redirects to the posting."""
    if token and isinstance(slug, str) and slug:
        return f"{site_url.format(site='www')}/view/d/{slug}/{token}"
    home = site_url.format(site=host)
    if category and isinstance(slug, str) and slug:
        area = f"/{subarea}" if subarea else ""
        return f"{home}{area}/{category}/d/{slug}/{posting_id}.html"
    return f"{home}/search/sss?postingId={posting_id}"


def _price(value: Any, shown: Any, *, free_board: bool) -> Decimal | None:
    """The numeric price. ``-1`` is "none stated" — unless the shown price says free or the
    posting is on the free board: then it is free (0). Not a number: the shown one."""
    said_free = isinstance(shown, str) and shown.strip().lower() == "free"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value >= 0:
            return Decimal(str(value))
        return Decimal(0) if said_free or free_board else None
    if said_free:
        return Decimal(0)
    return parse_price(shown) if isinstance(shown, str) else None


def _image(value: Any) -> str | None:
    """``"3:00x0x_abcDEF"`` (host code : image id) → the image's 600×450 URL."""
    if not isinstance(value, str) or not value:
        return None
    image = value.split(":", 1)[-1].split(",", 1)[0]
    return IMAGE_URL.format(image=image) if image else None


def _posted(offset: Any, minimum: int) -> datetime | None:
    if isinstance(offset, bool) or not isinstance(offset, int) or not minimum:
        return None
    return datetime.fromtimestamp(minimum + offset, UTC)
