"""The sandbox's JSON API: search, add a listing, change a price, read one listing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from core.criteria import Criteria
from core.enums import Condition
from core.errors import InvalidCriteria
from scrapers.sandbox.catalogue import find_town, towns_within
from scrapers.sandbox.index import SearchFilters, keyword_terms
from scrapers.sandbox.listing import SandboxListing
from scrapers.sandbox.picker import Pick, pick_listing
from scrapers.sandbox.state import STATE, SandboxState

__all__ = [
    "change_price",
    "create_listing",
    "get_listing",
    "item_json",
    "parse_filters",
    "query_key",
    "search",
    "watch",
]

logger = logging.getLogger(__name__)

MAX_LIMIT = 500
_PENNY = Decimal("0.01")
_OPTIONAL_TEXT = ("description", "location", "seller", "currency")


def _bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def _not_found(listing_id: str) -> web.HTTPNotFound:
    body = json.dumps({"error": f"no listing {listing_id}"})
    return web.HTTPNotFound(text=body, content_type="application/json")


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def item_json(listing: SandboxListing, base: str) -> dict[str, Any]:
    return {
        "id": listing.id,
        "title": listing.title,
        "description": listing.description,
        "price": str(listing.price),
        "currency": listing.currency,
        "location": listing.location,
        "url": f"{base}/item/{listing.id}",
        "image_url": f"{base}/img/{listing.id}.png",
        "seller": listing.seller,
        "condition": listing.condition.value,
        "category": listing.category,
        "posted_at": listing.posted_at.astimezone(UTC).isoformat(timespec="seconds"),
    }


# --- query parsing ----------------------------------------------------------------------


def parse_price(value: object, name: str = "price") -> Decimal:
    """A non-negative amount from a JSON number or string, to the penny."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad_request(f"{name} must be a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _bad_request(f"{name} is not a number: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise _bad_request(f"{name} must be a non-negative amount")
    return amount.quantize(_PENNY)


def _optional_price(query: Mapping[str, str], name: str) -> Decimal | None:
    value = query.get(name, "").strip()
    return parse_price(value, name) if value else None


def parse_condition(value: str) -> Condition:
    try:
        return Condition(value.strip().lower() or Condition.ANY)
    except ValueError as exc:
        raise _bad_request("condition must be new, used or any") from exc


def _limit(value: str | None) -> int:
    if not value:
        return 50
    try:
        return max(1, min(MAX_LIMIT, int(value)))
    except ValueError as exc:
        raise _bad_request("limit must be a whole number") from exc


def _page(value: str | None) -> int:
    if not value:
        return 1
    try:
        return max(1, int(value))
    except ValueError as exc:
        raise _bad_request("page must be a whole number") from exc


def _towns(location: str, radius: str) -> frozenset[str] | None:
    """The places a search covers; None (anywhere) for a place we have no map of."""
    town = find_town(location)
    if town is None:
        return None
    try:
        miles = float(radius) if radius.strip() else 0.0
    except ValueError as exc:
        raise _bad_request("radius must be a number of miles") from exc
    return towns_within(town, miles)


def parse_filters(query: Mapping[str, str]) -> SearchFilters:
    words, any_word = keyword_terms(query.get("q", ""))
    return SearchFilters(
        words=words,
        any_word=any_word,
        category=query.get("category", "").strip().lower(),
        condition=parse_condition(query.get("condition", "")),
        towns=_towns(query.get("location", ""), query.get("radius", "")),
        min_price=_optional_price(query, "min_price"),
        max_price=_optional_price(query, "max_price"),
        limit=_limit(query.get("limit")),
    )


# --- faults and the echo -------------------------------------------------------------------


async def _fault(state: SandboxState) -> web.Response | None:
    """The configured misbehaviour for this search, if any: latency, 429 or 503."""
    config = state.config
    state.search_count += 1
    if config.latency_ms > 0:
        await asyncio.sleep(config.latency_ms / 1000)
    if config.rate_limit_every > 0 and state.search_count % config.rate_limit_every == 0:
        body = {"error": "too many requests"}
        return web.json_response(body, status=429, headers={"Retry-After": "2"})
    if config.error_rate > 0 and state.faults.random() < config.error_rate:
        return web.json_response({"error": "service unavailable"}, status=503)
    return None


def query_key(params: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """One upstream query however it is spelled: set parameters but the limit, lowercased."""
    return tuple(
        sorted((k, v.strip().lower()) for k, v in params.items() if k != "limit" and v.strip())
    )


def _post_pending(state: SandboxState, query: Mapping[str, str]) -> None:
    """The first search for a watched query releases its picks: each is listed after the
    echo delay, so it is new to the search that was just primed with this search's results."""
    picks = state.pending.pop(query_key(query), [])
    for pick in picks:
        task = asyncio.create_task(_post_later(state, pick))
        state.echo_tasks.add(task)
        task.add_done_callback(state.echo_tasks.discard)


async def _post_later(state: SandboxState, pick: Pick) -> None:
    await asyncio.sleep(state.config.echo_delay_seconds or 0)
    listing = state.generator.add(now=state.clock(), **asdict(pick))
    logger.info("sandbox echo: listed %s %r at %s", listing.id, listing.title, listing.price)


# --- handlers --------------------------------------------------------------------------


async def search(request: web.Request) -> web.Response:
    state = request.app[STATE]
    failure = await _fault(state)
    if failure is not None:
        return failure
    filters = parse_filters(request.query)
    # Newest first, ``limit`` a page: page n is what follows the first n-1 pages.
    page = _page(request.query.get("page"))
    skip = (page - 1) * filters.limit
    if page > 1:
        filters = replace(filters, limit=min(MAX_LIMIT, skip + filters.limit))
    state.now()
    _post_pending(state, request.query)
    result = state.generator.index.search(filters)
    base = base_url(request)
    items = [item_json(listing, base) for listing in result.items[skip:]]
    body = {"items": items, "total": result.total, "total_is_estimate": result.estimated}
    return web.json_response(body)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise _bad_request("the body must be JSON") from exc
    if not isinstance(body, dict):
        raise _bad_request("the body must be a JSON object")
    return body


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _bad_request(f"{key} must be a string")
    return value.strip()


def _new_listing_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    title = _text(body, "title")
    if not title:
        raise _bad_request("title is required")
    if body.get("price") is None:
        raise _bad_request("price is required")
    fields: dict[str, Any] = {key: _text(body, key) for key in _OPTIONAL_TEXT}
    fields["currency"] = fields["currency"] or "GBP"
    return fields | {
        "title": title,
        "price": parse_price(body["price"]),
        "category": _text(body, "category").lower(),
        "condition": parse_condition(_text(body, "condition") or Condition.USED),
    }


async def create_listing(request: web.Request) -> web.Response:
    """POST /api/listings: list something now; answers the created item (201)."""
    state = request.app[STATE]
    fields = _new_listing_fields(await _json_object(request))
    listing = state.generator.add(now=state.clock(), **fields)
    logger.info("sandbox: listed %s %r at %s", listing.id, listing.title, listing.price)
    return web.json_response(item_json(listing, base_url(request)), status=201)


async def watch(request: web.Request) -> web.Response:
    """POST /api/watch with {"criteria": {…}, "query": {search parameters}}: a search was saved.

    With the echo on, picks a catalogue listing the criteria match (core's matcher decides)
    and lists it after the echo delay once the query is first searched. Answers what it will
    list, or ``"listing": null`` when nothing in the catalogue fits.
    """
    state = request.app[STATE]
    body = await _json_object(request)
    criteria, query = body.get("criteria"), body.get("query")
    if not isinstance(criteria, dict) or not isinstance(query, dict):
        raise _bad_request("criteria and query must be JSON objects")
    try:
        wanted = Criteria.from_json(criteria)
    except InvalidCriteria as exc:
        raise _bad_request(f"criteria: {exc}") from exc
    if state.config.echo_delay_seconds is None:
        return web.json_response({"echo": False, "listing": None})
    pick = pick_listing(wanted, state.pick_rng, state.now())
    if pick is None:
        logger.info("sandbox echo: nothing in the catalogue matches %r", wanted.keywords)
        return web.json_response({"echo": True, "listing": None})
    state.pending.setdefault(query_key({str(k): str(v) for k, v in query.items()}), []).append(pick)
    listing = {"title": pick.title, "price": str(pick.price)}
    return web.json_response({"echo": True, "listing": listing})


async def change_price(request: web.Request) -> web.Response:
    """POST /api/listings/{id}/price with {"price": "…"}."""
    state = request.app[STATE]
    listing_id = request.match_info["listing_id"]
    price = parse_price((await _json_object(request)).get("price"))
    state.now()
    try:
        listing = state.generator.change_price(listing_id, price)
    except KeyError as exc:
        raise _not_found(listing_id) from exc
    return web.json_response(item_json(listing, base_url(request)))


async def get_listing(request: web.Request) -> web.Response:
    state = request.app[STATE]
    listing_id = request.match_info["listing_id"]
    state.now()
    listing = state.generator.get(listing_id)
    if listing is None:
        raise _not_found(listing_id)
    return web.json_response(item_json(listing, base_url(request)))
