"""The sandbox's JSON API: search, add a listing, change a price, read one listing."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from core.enums import Condition
from core.errors import InvalidCriteria
from core.matching import parse_keywords
from scrapers.sandbox.catalogue import find_town, towns_within
from scrapers.sandbox.index import SearchFilters, keyword_terms
from scrapers.sandbox.listing import SandboxListing
from scrapers.sandbox.state import STATE, SandboxState

__all__ = [
    "change_price",
    "create_listing",
    "echo_terms",
    "get_listing",
    "item_json",
    "parse_filters",
    "search",
]

logger = logging.getLogger(__name__)

MAX_LIMIT = 500
_PENNY = Decimal("0.01")
_LOWER_OR = re.compile(r"(?<!\S)or(?!\S)")
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


# --- faults and echo -------------------------------------------------------------------


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


def echo_terms(q: str) -> list[str]:
    """Words and phrases a listing needs to satisfy ``q`` under core's rules: the first
    alternative of every group (the upstream query is lowercased, so "or" is the operator)."""
    try:
        parsed = parse_keywords(_LOWER_OR.sub("OR", q))
    except InvalidCriteria:
        return []
    return [" ".join(group[0]) for group in parsed.groups]


def _maybe_echo(state: SandboxState, query: Mapping[str, str], filters: SearchFilters) -> None:
    delay = state.config.echo_delay_seconds
    if delay is None or not filters.words:
        return
    key = tuple(sorted((k, v.strip().lower()) for k, v in query.items() if k != "limit"))
    if key in state.echoed:
        return
    state.echoed.add(key)
    task = asyncio.create_task(_echo_later(state, delay, dict(query), filters))
    state.echo_tasks.add(task)
    task.add_done_callback(state.echo_tasks.discard)


async def _echo_later(
    state: SandboxState, delay: float, query: dict[str, str], filters: SearchFilters
) -> None:
    await asyncio.sleep(delay)
    listing = state.generator.inject(
        echo_terms(query.get("q", "")),
        filters.min_price,
        filters.max_price,
        filters.category,
        filters.condition,
        now=state.clock(),
        location=query.get("location", ""),
    )
    logger.info("sandbox echo: listed %s %r for %r", listing.id, listing.title, query.get("q"))


# --- handlers --------------------------------------------------------------------------


async def search(request: web.Request) -> web.Response:
    state = request.app[STATE]
    failure = await _fault(state)
    if failure is not None:
        return failure
    filters = parse_filters(request.query)
    state.now()
    _maybe_echo(state, request.query, filters)
    result = state.generator.index.search(filters)
    base = base_url(request)
    items = [item_json(listing, base) for listing in result.items]
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
