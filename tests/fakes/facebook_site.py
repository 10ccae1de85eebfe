"""A local Facebook Marketplace for real Chromium: cookie banner, infinite scroll, login wall.

Pages follow the real site's structure (see the comments in tests/fixtures/facebook/). The
scraper reaches it through FACEBOOK_URL (the adapter's ``base_url``). What the browser did is
recorded: the search pages it asked for, the cookie choice it made, how many more-results
requests it sent, and whether it came logged in (Facebook's ``c_user`` session cookie).
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "facebook"
SESSION_COOKIE = "c_user"
_GIF = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)

_TITLES = (
    ("Sony PS5 Disc Edition 825GB boxed", 320, "Leeds, United Kingdom"),
    ("PS5 Digital + 2 controllers", 280, "York, United Kingdom"),
    ("PlayStation 5 slim, as new", 390, "Manchester, United Kingdom"),
    ("PS5 DualSense controller white", 35, "Bradford, United Kingdom"),
    ("Free: PS5 box and packaging", 0, "Leeds, United Kingdom"),
    ("PS5 games bundle x6", 60, ""),  # ships to you
    ("PS5 with FIFA 24, spares or repairs", 150, "Wakefield, United Kingdom"),
    ("2016 Ford Focus 1.0 EcoBoost", 5995, "Harrogate, United Kingdom"),
)


class FacebookMode(StrEnum):
    RESULTS = "results"
    NO_RESULTS = "no_results"
    LOGIN_REDIRECT = "login_redirect"  # the search URL redirects to /login/
    CHECKPOINT = "checkpoint"  # … to /checkpoint/<id>/
    THROTTLED = "temporarily_blocked"  # Facebook's own "going too fast" page, HTTP 200
    CHANGED_LAYOUT = "changed_layout"
    MALFORMED = "malformed"  # the page cut off mid-card
    TOO_MANY = "429"
    FORBIDDEN = "403"
    SLOW = "slow"  # answers after `slow_seconds`


def listing(index: int, base_url: str) -> dict[str, Any]:
    """One listing as Facebook's GraphQL names its fields (marketplace_search feed units)."""
    title, price, place = _TITLES[index % len(_TITLES)]
    number = index // len(_TITLES)
    item_id = str(1064210000000000 + index * 7919)
    formatted = "Free" if price == 0 else f"£{price:,}"
    data: dict[str, Any] = {
        "__typename": "GroupCommerceProductItem",
        "id": item_id,
        "marketplace_listing_title": title if number == 0 else f"{title} #{number + 1}",
        "listing_price": {"formatted_amount": formatted, "amount": f"{price}.00"},
        "strikethrough_price": {"formatted_amount": f"£{price + 30}"} if index == 0 else None,
        "location": {"reverse_geocode": {"city_page": {"display_name": place}}} if place else None,
        "delivery_types": ["SHIPPING_ONSITE"] if not place else ["IN_PERSON"],
        "primary_listing_photo": (
            None
            if index == 3
            else {"image": {"uri": f"{base_url}/v/t45.5328-4/{item_id}_n.jpg?stp=dst-jpg_p261x260"}}
        ),
        "is_just_listed": index == 1,
        "custom_sub_titles_with_rendering_flags": (
            [{"subtitle": "85K miles"}] if "Ford" in title else None
        ),
        "tracking": secrets.token_hex(6),
    }
    return data


def _esc(value: object) -> str:
    return html.escape(str(value or ""), quote=True)


def render_card(template: str, item: dict[str, Any]) -> str:
    """The same card markup the page's script renders for scrolled-in items."""
    photo = item["primary_listing_photo"]
    old = item["strikethrough_price"]
    place = item["location"] and item["location"]["reverse_geocode"]["city_page"]["display_name"]
    subtitles = item["custom_sub_titles_with_rendering_flags"]
    slots = {
        "id": item["id"],
        "tracking": item["tracking"],
        "photo": (
            f'<img alt="{_esc(item["marketplace_listing_title"])}" class="x168nmei x13lgxp2 '
            f'x5pf9jr xo71vjh xt7dq6l xl1xv1r x6ikm8r x10wlt62 xh8yej3" '
            f'referrerpolicy="origin-when-cross-origin" src="{_esc(photo["image"]["uri"])}">'
            if photo
            else '<div class="x1ey2m1c xds687c x17qophe"></div>'
        ),
        "badge": (
            '<div class="x1gslohp"><span dir="auto" class="x1lliihq">Just listed</span></div>'
            if item["is_just_listed"]
            else ""
        ),
        "price": _esc(item["listing_price"]["formatted_amount"]),
        "old_price": (
            f'<span class="x1s688f x1kfoseq x1nxh6w3 xi81zsa" dir="auto" '
            f'style="text-decoration: line-through;">{_esc(old["formatted_amount"])}</span>'
            if old
            else ""
        ),
        "title": _esc(item["marketplace_listing_title"]),
        "place": _esc(place) if place else "Ships to you",
        "extra": (
            f'<div class="x1gslohp xkh6y0r"><span dir="auto" class="x1lliihq">'
            f"{_esc(subtitles[0]['subtitle'])}</span></div>"
            if subtitles
            else ""
        ),
    }
    out = template
    for key, value in slots.items():
        out = out.replace("{{" + key + "}}", value)
    return out


@dataclass
class FacebookSite:
    mode: FacebookMode = FacebookMode.RESULTS
    total: int = 30  # listings the search has
    first_batch: int = 8  # rendered with the page
    page_size: int = 8  # per infinite-scroll request
    wall_after: int | None = (
        1  # logged-out visitors get this many scroll loads, then a login dialog
    )
    banner: bool = True
    slow_seconds: float = 3.0
    auto_login: bool = False  # the login page logs itself in (stands in for the operator)
    base_url: str = ""
    consent_cookie: str = field(default_factory=lambda: f"mm_consent_{secrets.token_hex(3)}")
    searches: list[tuple[str, MultiDict[str]]] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    consent: list[str] = field(default_factory=list)
    scroll_loads: int = 0
    logged_in_requests: int = 0

    def fixture(self, name: str) -> str:
        return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")

    def _logged_in(self, request: web.Request) -> bool:
        return SESSION_COOKIE in request.cookies

    def _note(self, request: web.Request) -> None:
        self.searches.append((request.path, MultiDict(request.query)))
        self.user_agents.append(request.headers.get("User-Agent", ""))
        if self._logged_in(request):
            self.logged_in_requests += 1

    async def search_page(self, request: web.Request) -> web.StreamResponse:
        self._note(request)
        failure = await self._failure(request)
        if failure is not None:
            return failure
        if self.mode in (FacebookMode.THROTTLED, FacebookMode.CHANGED_LAYOUT):
            return web.Response(text=self.fixture(self.mode.value), content_type="text/html")
        page = self._results_page(request)
        if self.mode is FacebookMode.MALFORMED:
            cut = page.index('<a class="x1i10hfl')
            page = page[:cut] + '<a class="x1i10hfl" href="/marketplace/it'
        return web.Response(text=page, content_type="text/html")

    async def _failure(self, request: web.Request) -> web.StreamResponse | None:
        next_url = quote(str(request.url), safe="")
        if self.mode is FacebookMode.TOO_MANY:
            return web.Response(status=429, text="Too many requests", headers={"Retry-After": "90"})
        if self.mode is FacebookMode.FORBIDDEN:
            return web.Response(status=403, text="Forbidden")
        if self.mode is FacebookMode.SLOW:
            await asyncio.sleep(self.slow_seconds)
        if self.mode is FacebookMode.LOGIN_REDIRECT and not self._logged_in(request):
            raise web.HTTPFound(f"/login/?next={next_url}")
        if self.mode is FacebookMode.CHECKPOINT:
            raise web.HTTPFound(f"/checkpoint/1501092823525282/?next={next_url}")
        return None

    def _results_page(self, request: web.Request) -> str:
        banner_open = self.banner and self.consent_cookie not in request.cookies
        query = request.query.get("query", "")
        return self.render_results(query, logged_in=self._logged_in(request), banner=banner_open)

    def render_results(self, query: str, *, logged_in: bool = False, banner: bool = False) -> str:
        """The results page as the server sends it: the first batch of cards, then scripts."""
        template = self.fixture("search")
        card = template.split('<template id="mm-card">', 1)[1].split("</template>", 1)[0]
        empty = self.mode is FacebookMode.NO_RESULTS
        count = 0 if empty else min(self.first_batch, self.total)
        cards = "".join(render_card(card, listing(i, self.base_url)) for i in range(count))
        state = {
            "cursor": str(count) if count < self.total and not empty else None,
            "page_size": self.page_size,
            "consent_cookie": self.consent_cookie,
            "params": {"query": query},
        }
        replacements = {
            "__TITLE__": _esc(query),
            "__HEADER__": "" if logged_in else self.fixture_header(),
            "__CARDS__": cards,
            "__EMPTY__": self._no_results(query) if empty else "",
            "__BANNER__": self.fixture_banner() if banner else "",
            "__BODY_STYLE__": 'style="overflow: hidden"' if banner else "",
            "__STATE__": json.dumps(state),
        }
        for key, value in replacements.items():
            template = template.replace(key, value)
        return template

    @staticmethod
    def _no_results(query: str) -> str:
        return (
            '<div class="x1n2onr6 x1ja2u2z"><span dir="auto" class="x193iq5w xeuugli">'
            f"No listings found for &quot;{_esc(query)}&quot; within 65 km</span>"
            '<span dir="auto">Try searching for something else or changing your filters.</span>'
            "</div>"
        )

    @staticmethod
    def fixture_header() -> str:
        # What a logged-out visitor sees in the top bar: a compact login form.
        return (
            '<form id="login_form" action="/login/?login_attempt=1" method="post">'
            '<input type="text" name="email" aria-label="Email or phone">'
            '<input type="password" name="pass" aria-label="Password">'
            '<button name="login" type="submit">Log In</button></form>'
        )

    @staticmethod
    def fixture_banner() -> str:
        return (
            '<div class="x1n2onr6 x1vjfegm" data-testid="cookie-policy-manage-dialog" '
            'role="dialog" aria-label="Allow the use of cookies from Facebook on this browser?">'
            '<div class="x1cy8zhl"><h2 dir="auto">Allow the use of cookies from Facebook on this '
            "browser?</h2><p>We use cookies to help provide and improve content on Meta Products."
            "</p>"
            '<button data-cookiebanner="accept_only_essential_button" '
            'data-testid="cookie-policy-manage-dialog-decline-button" title="Decline optional '
            'cookies" type="button">Decline optional cookies</button>'
            '<button data-cookiebanner="accept_button" '
            'data-testid="cookie-policy-manage-dialog-accept-button" title="Allow all cookies" '
            'type="button">Allow all cookies</button></div></div>'
        )

    async def graphql(self, request: web.Request) -> web.Response:
        """The infinite scroll's next page (CometMarketplaceSearchContentPaginationQuery)."""
        form = await request.post()
        choice = request.cookies.get(self.consent_cookie)
        if choice:
            self.consent.append(choice)
        variables = json.loads(str(form.get("variables") or "{}"))
        start = int(variables.get("cursor") or 0)
        if not self._logged_in(request):
            if self.wall_after is not None and self.scroll_loads >= self.wall_after:
                return web.json_response({"login_required": True, "errors": [{"code": 1357001}]})
        else:
            self.logged_in_requests += 1
        self.scroll_loads += 1
        end = min(start + self.page_size, self.total)
        edges = [{"node": {"listing": listing(i, self.base_url)}} for i in range(start, end)]
        page_info = {"has_next_page": end < self.total, "end_cursor": str(end)}
        feed = {"edges": edges, "page_info": page_info}
        return web.json_response({"data": {"marketplace_search": {"feed_units": feed}}})

    async def login_page(self, request: web.Request) -> web.Response:
        page = self.fixture("login").replace("__NEXT__", _esc(request.query.get("next", "")))
        script = (
            "<script>setTimeout(() => { document.getElementById('email').value = 'op@example.com';"
            " document.getElementById('pass').value = 'x';"
            " document.getElementById('login_form').submit(); }, 200);</script>"
        )
        page = page.replace("__AUTOLOGIN__", script if self.auto_login else "")
        return web.Response(text=page, content_type="text/html")

    async def login_submit(self, request: web.Request) -> web.Response:
        await request.post()
        response = web.HTTPFound("/")
        response.set_cookie(SESSION_COOKIE, "100012345678901", path="/", httponly=False)
        raise response

    async def checkpoint(self, request: web.Request) -> web.Response:
        return web.Response(text=self.fixture("checkpoint"), content_type="text/html")

    async def home(self, request: web.Request) -> web.Response:
        return web.Response(
            text="<html><title>Facebook</title><body>News Feed</body></html>",
            content_type="text/html",
        )

    async def photo(self, request: web.Request) -> web.Response:
        return web.Response(body=_GIF, content_type="image/gif")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.home)
        app.router.add_get("/marketplace/", self.home)
        app.router.add_get("/marketplace/search/", self.search_page)
        app.router.add_get("/marketplace/{city}/search/", self.search_page)
        app.router.add_get("/marketplace/category/{category}/", self.search_page)
        app.router.add_get("/marketplace/{city}/{category}/", self.search_page)
        app.router.add_post("/api/graphql/", self.graphql)
        app.router.add_get("/login/", self.login_page)
        app.router.add_post("/login/", self.login_submit)
        app.router.add_get("/checkpoint/{id}/", self.checkpoint)
        app.router.add_get("/v/{path:.*}", self.photo)
        return app


@asynccontextmanager
async def running_facebook(site: FacebookSite) -> AsyncIterator[str]:
    """Serve ``site`` on a free local port; yields its base URL (FACEBOOK_URL)."""
    runner = web.AppRunner(site.app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        site.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield site.base_url
    finally:
        await runner.cleanup()
