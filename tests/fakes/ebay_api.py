"""A local eBay API speaking the real wire format: the OAuth client-credentials token
endpoint and Browse ``item_summary/search``, with switches to misbehave like the real one.

Point ``EbayMarketplace(api_url=…)`` (EBAY_API_URL) at ``url``. Answers follow eBay's
documented shapes: token ``{"access_token", "expires_in", "token_type"}``, OAuth errors
``{"error", "error_description"}``, API errors ``{"errors": [{"errorId", "domain",
"category", "message", "longMessage"}]}``.

With ``catalogue`` set, search answers from those item summaries as Browse does: ``q`` ANDs
space-separated words and ORs a comma-separated list in parentheses, ``(ps5, xbox) console``
(a multi-word alternative is read as its words ANDed); words are matched whole, in the title,
case-insensitively. Results are sorted newest first (``itemCreationDate``, as
``sort=newlyListed``), cut to ``limit`` from ``offset``, with ``total`` (every match) and
``next`` when more remain; ``itemSummaries`` is left out when nothing matched. ``filter`` and
``category_ids`` are not applied.

With ``model`` set (a ``CategoryCatalogue``, issue 18), search answers from that catalogue
instead, which does apply ``category_ids`` and the filters (scrapers/ebay/rules.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.ebay_catalogue import CategoryCatalogue
from tests.fakes.local_server import serving

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ebay"
CLIENT_ID = "MarketMo-monitor-PRD-1a2b3c4d5-6e7f8a9b"
CLIENT_SECRET = "PRD-1a2b3c4d5e6f-7a8b-9c0d-1e2f-3a4b"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class FakeEbayApi:
    """Records every request; set the fields to change what it answers."""

    payload: Any = field(default_factory=lambda: fixture("search_ps5.json"))
    token_lifetime: int = 7200
    search_status: int = 200
    search_headers: dict[str, str] = field(default_factory=dict)
    search_body: bytes | None = None  # raw body instead of ``payload`` (malformed JSON…)
    search_delay: float = 0.0
    token_status: int = 200
    accept_tokens: bool = True  # False: every token is refused (a keyset without Browse)
    tokens_minted: list[str] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    searches: list[web.Request] = field(default_factory=list)
    catalogue: list[dict[str, Any]] | None = None  # answer searches from these items
    token_requests: list[dict[str, str]] = field(default_factory=list)
    # getItems (issue 14): item id → CoreItem as Browse sends it; absent ids are not found.
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    item_requests: list[web.Request] = field(default_factory=list)
    model: CategoryCatalogue | None = None  # a catalogue with categories (issue 18)
    suggest_requests: list[web.Request] = field(default_factory=list)

    def revoke_tokens(self) -> None:
        """Make eBay forget every token (as when one expires early): next search gets 401."""
        self.valid_tokens.clear()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/identity/v1/oauth2/token", self._token)
        app.router.add_get("/buy/browse/v1/item_summary/search", self._search)
        app.router.add_get("/buy/browse/v1/item/", self._get_items)
        app.router.add_get(
            "/commerce/taxonomy/v1/category_tree/{tree}/get_category_suggestions", self._suggest
        )
        return app

    async def _get_items(self, request: web.Request) -> web.Response:
        """Browse getItems: up to 20 ``item_ids``; the found ones in ``items``, a warning for
        the others (an ended listing is "not found" once eBay drops it)."""
        self.item_requests.append(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens or not self.accept_tokens:
            return _error(401, 1001, "OAuth", "Invalid access token")
        ids = [i for i in request.query.get("item_ids", "").split(",") if i]
        if not ids or len(ids) > 20:
            return _error(400, 11006, "API_BROWSE", "The item_ids must hold 1 to 20 ids.")
        found = [self.items[i] for i in ids if i in self.items]
        missing = [i for i in ids if i not in self.items]
        body: dict[str, Any] = {"total": len(found), "items": found}
        if missing:
            body["warnings"] = [
                {
                    "errorId": 11001,
                    "domain": "API_BROWSE",
                    "category": "REQUEST",
                    "message": f"The item {i} was not found.",
                }
                for i in missing
            ]
        return web.json_response(body)

    async def _suggest(self, request: web.Request) -> web.Response:
        """Taxonomy get_category_suggestions, from ``model``'s vocabulary (issue 18)."""
        self.suggest_requests.append(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens or not self.accept_tokens:
            return _error(401, 1001, "OAuth", "Invalid access token")
        if self.model is None or request.match_info["tree"] != "3":
            return _error(
                404, 62004, "API_TAXONOMY", "The specified category tree ID was not found."
            )
        return web.json_response(self.model.suggest(request.query.get("q", "")))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        async with serving(self.app()) as url:
            yield url

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}" or self.token_status == 401:
            return web.json_response(
                {"error": "invalid_client", "error_description": "client authentication failed"},
                status=401,
            )
        if form.get("grant_type") != "client_credentials":
            return web.json_response(
                {"error": "unsupported_grant_type", "error_description": "grant type unsupported"},
                status=400,
            )
        token = "v^1.1#i^1#p^1#r^0#f^0#I^3#t^" + secrets.token_urlsafe(24)
        self.tokens_minted.append(token)
        self.valid_tokens.add(token)
        return web.json_response(
            {
                "access_token": token,
                "expires_in": self.token_lifetime,
                "token_type": "Application Access Token",
            }
        )

    async def _search(self, request: web.Request) -> web.Response:
        self.searches.append(request)
        if self.search_delay:
            await asyncio.sleep(self.search_delay)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid_tokens or not self.accept_tokens:
            return _error(401, 1001, "OAuth", "Invalid access token")
        if "X-EBAY-C-MARKETPLACE-ID" not in request.headers:
            return _error(400, 12001, "API_BROWSE", "The marketplace id header is missing.")
        if self.search_status == 429:
            return _error(
                429,
                2001,
                "ACCESS",
                "Too many requests. The request limit has been reached for the resource.",
                headers=self.search_headers,
            )
        if self.search_status == 403:
            return _error(403, 1100, "ACCESS", "Access denied", "Insufficient permissions.")
        if self.search_status >= 400:
            return _error(self.search_status, 12000, "API_BROWSE", "There was a problem.")
        if self.search_body is not None:
            return web.Response(body=self.search_body, content_type="application/json")
        if self.model is not None:
            return web.json_response(self.model.answer(dict(request.query)))
        if self.catalogue is not None:
            return web.json_response(self.answer(dict(request.query)))
        return web.json_response(self.payload)

    def answer(self, params: dict[str, str]) -> dict[str, Any]:
        """The SearchPagedCollection Browse would send for ``params`` over the catalogue."""
        groups = parse_q(params.get("q", ""))
        found = [item for item in self.catalogue or [] if q_matches(groups, item["title"])]
        sellers = _sellers_filter(params.get("filter", ""))
        if sellers is not None:  # Browse's sellers:{a|b} (usernames, case-insensitive)
            found = [
                item
                for item in found
                if str(item.get("seller", {}).get("username", "")).lower() in sellers
            ]
        found.sort(key=lambda item: str(item.get("itemCreationDate", "")), reverse=True)
        limit = min(int(params.get("limit", "50")), 200)
        offset = int(params.get("offset", "0"))
        href = "https://api.ebay.com/buy/browse/v1/item_summary/search"
        body: dict[str, Any] = {
            "href": f"{href}?limit={limit}&offset={offset}",
            "total": len(found),
            "limit": limit,
            "offset": offset,
        }
        page = found[offset : offset + limit]
        if page:
            body["itemSummaries"] = page
        if offset + limit < len(found):
            body["next"] = f"{href}?limit={limit}&offset={offset + limit}"
        return body


_SELLERS = re.compile(r"sellers:\{([^}]*)\}")


def _sellers_filter(filters: str) -> set[str] | None:
    found = _SELLERS.search(filters)
    return None if found is None else {s.strip().lower() for s in found[1].split("|")}


_Q_PART = re.compile(r"\(([^)]*)\)|([^\s()]+)")
_WORD = re.compile(r"[^\W_]+")


def parse_q(q: str) -> list[list[frozenset[str]]]:
    """Browse ``q`` as groups ANDed, each a list of alternatives (word sets ANDed)."""
    groups: list[list[frozenset[str]]] = []
    for found in _Q_PART.finditer(q.lower()):
        if found[1] is not None:
            alternatives = [frozenset(_WORD.findall(alt)) for alt in found[1].split(",")]
            groups.append([alt for alt in alternatives if alt])
        else:
            groups.extend([frozenset([w])] for w in _WORD.findall(found[2]))
    return [group for group in groups if group]


@lru_cache(maxsize=65536)
def _title_words(title: str) -> frozenset[str]:
    return frozenset(_WORD.findall(title.lower()))


def q_matches(groups: list[list[frozenset[str]]], title: str) -> bool:
    words = _title_words(title)
    return all(any(alt <= words for alt in group) for group in groups)


def item(
    number: int, title: str, created: str, *, price: str = "10.00", **extra: Any
) -> dict[str, Any]:
    """A minimal ItemSummary as Browse sends it (the fields the parser needs, and a date)."""
    return {
        "itemId": f"v1|{number}|0",
        "title": title,
        "price": {"value": price, "currency": "GBP"},
        "itemWebUrl": f"https://www.ebay.co.uk/itm/{number}?hash=item{number:x}",
        "itemCreationDate": created,
        "buyingOptions": ["FIXED_PRICE"],
        **extra,
    }


def _error(
    status: int,
    error_id: int,
    domain: str,
    message: str,
    long_message: str = "",
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {
        "errors": [
            {
                "errorId": error_id,
                "domain": domain,
                "category": "REQUEST",
                "message": message,
                "longMessage": long_message or message,
            }
        ]
    }
    return web.json_response(body, status=status, headers=headers)
