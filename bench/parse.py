"""Parse time per search page, per site: our parser vs BeautifulSoup on the same page.

One run prints one row per registered case: the page, how many listings it yields, and the
median time per page for our parser (selectolax for HTML, ``json`` + our decoder for JSON
APIs) and, for HTML pages, for the same extraction written with BeautifulSoup (with Python's
``html.parser`` and with ``lxml``). Not a test; needs ``beautifulsoup4`` (dev extra).

    .venv/bin/python bench/parse.py [--seconds 1.0]

Adding a site: append a ``Case`` to ``CASES`` (or call ``register``) with the page text,
our parse function (page text → listings) and, for HTML, the BeautifulSoup version of the
same extraction (page text, bs4 parser name → listings). Pages under tests/fixtures/ are
real-structured but small, so each HTML case is also measured on a page scaled up to a real
result count (``scaled``) — the figure that matters.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapers.craigslist import parse_search_api, parse_search_page
from scrapers.ebay import parse_search
from scrapers.facebook import parse_cards
from scrapers.facebook.cards import _split as facebook_split
from scrapers.gumtree import parse_search_page as gumtree_parse
from tests.fakes.facebook_site import FacebookSite

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"

OursParse = Callable[[str], Sized]
SoupParse = Callable[[str, str], Sized]


@dataclass(frozen=True, slots=True)
class Case:
    site: str
    page: str  # what the page is, for the table
    text: Callable[[], str]
    ours: OursParse
    soup: SoupParse | None = None  # None: not HTML, BeautifulSoup does not apply


CASES: list[Case] = []


def register(case: Case) -> None:
    CASES.append(case)


def fixture(path: str) -> Callable[[], str]:
    return lambda: (FIXTURES / path).read_text()


# --- eBay (Browse JSON) ---------------------------------------------------------------


def ebay_ours(text: str) -> Sized:
    return parse_search(json.loads(text))


def ebay_scaled(items: int) -> Callable[[], str]:
    def build() -> str:
        payload = json.loads((FIXTURES / "ebay" / "search_ps5.json").read_text())
        base = payload["itemSummaries"]
        payload["itemSummaries"] = [
            {**base[i % len(base)], "itemId": f"v1|{900000000000 + i}|0"} for i in range(items)
        ]
        return json.dumps(payload)

    return build


# --- Craigslist (sapi JSON, HTML page) ------------------------------------------------


def craigslist_api_ours(text: str) -> Sized:
    categories = {68: "bik", 197: "bop"}
    return parse_search_api(json.loads(text), site="sfbay", category_abbr=categories.get)


def craigslist_api_scaled(items: int) -> Callable[[], str]:
    def build() -> str:
        payload = json.loads((FIXTURES / "craigslist" / "sapi_search.json").read_text())
        base = [x for x in payload["data"]["items"] if isinstance(x[0], int)]
        payload["data"]["items"] = [[i, *base[i % len(base)][1:]] for i in range(items)]
        return json.dumps(payload)

    return build


def craigslist_page_ours(text: str) -> Sized:
    return parse_search_page(text)


_POSTING = re.compile(r"/(\d{6,})\.html")


def craigslist_page_soup(text: str, parser: str) -> Sized:
    """The same extraction as parse_search_page, written with BeautifulSoup."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, parser)
    products: dict[str, Any] = {}
    script = soup.find("script", id="ld_searchpage_results")
    if script is not None and script.string:
        for element in json.loads(script.string).get("itemListElement", []):
            item = element.get("item") or {}
            products.setdefault(" ".join(str(item.get("name", "")).split()), item)
    found = []
    for li in soup.select("li.cl-static-search-result"):
        link = li.select_one("a[href]")
        href = str(link["href"]) if link is not None else ""
        title = " ".join(str(li.get("title") or "").split())
        if not _POSTING.search(href) or not title:
            continue
        price = li.select_one(".price")
        place = li.select_one(".location")
        product = products.get(title, {})
        found.append(
            (
                href,
                title,
                price.get_text(strip=True) if price else None,
                place.get_text(" ", strip=True) if place else "",
                (product.get("image") or [None])[0],
            )
        )
    return found


def craigslist_page_scaled(results: int) -> Callable[[], str]:
    """The fixture page with its result list (and JSON-LD) repeated to ``results`` entries."""

    def build() -> str:
        page = (FIXTURES / "craigslist" / "search_page.html").read_text()
        start = page.index('    <li class="cl-static-search-result"')
        end = page.index("</ol>")
        entries = page[start:end].split('    <li class="cl-static-search-result"')[1:]
        items = []
        for i in range(results):
            entry = entries[i % len(entries)]
            entry = re.sub(r"/(\d{6,})\.html", f"/{7700000000 + i}.html", entry)
            items.append('    <li class="cl-static-search-result"' + entry)
        ld_start = page.index('id="ld_searchpage_results" >') + len('id="ld_searchpage_results" >')
        ld_end = page.index("</script>", ld_start)
        ld = json.loads(page[ld_start:ld_end])
        elements = ld["itemListElement"]
        ld["itemListElement"] = [elements[i % len(elements)] for i in range(results)]
        page = page[:ld_start] + json.dumps(ld) + page[ld_end:]
        start = page.index('    <li class="cl-static-search-result"')
        end = page.index("</ol>")
        return page[:start] + "".join(items) + page[end:]

    return build


for _case in (
    Case("ebay", "Browse JSON, fixture (6 items)", fixture("ebay/search_ps5.json"), ebay_ours),
    Case("ebay", "Browse JSON, 200 items (max page)", ebay_scaled(200), ebay_ours),
    Case(
        "craigslist",
        "sapi JSON, fixture (7 items)",
        fixture("craigslist/sapi_search.json"),
        craigslist_api_ours,
    ),
    Case(
        "craigslist",
        "sapi JSON, 360 items (one batch)",
        craigslist_api_scaled(360),
        craigslist_api_ours,
    ),
    Case(
        "craigslist",
        "search page HTML, fixture (4 results)",
        fixture("craigslist/search_page.html"),
        craigslist_page_ours,
        craigslist_page_soup,
    ),
    Case(
        "craigslist",
        "search page HTML, 300 results",
        craigslist_page_scaled(300),
        craigslist_page_ours,
        craigslist_page_soup,
    ),
):
    register(_case)


# --- Gumtree (search page HTML + base64 data layer) -----------------------------------

GUMTREE = "https://www.gumtree.com"
_NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
_GUMTREE_LAYER = re.compile(
    r"gumtreeDataLayer\s*=\s*\[\s*JSON\.parse\(\s*b64ToUtf8\('([A-Za-z0-9+/=]+)'"
)
_GUMTREE_ID = re.compile(r"/(\d{5,})(?:[/?#]|$)")


def gumtree_ours(text: str) -> Sized:
    return gumtree_parse(text, GUMTREE, _NOW)


def _soup_text(node: Any, selector: str) -> str:
    found = node.select_one(selector)
    return " ".join(found.get_text(" ").split()) if found is not None else ""


def _gumtree_layer(soup: Any) -> dict[str, Any]:
    for script in soup.find_all("script"):
        match = _GUMTREE_LAYER.search(script.string or "")
        if match:
            event = json.loads(base64.b64decode(match[1]))
            return {str(row["id"]): row for row in event.get("listListingDetails", [])}
    return {}


def gumtree_soup(text: str, parser: str) -> Sized:
    """The same extraction as scrapers.gumtree (tiles + data layer), with BeautifulSoup."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, parser)
    layer = _gumtree_layer(soup)
    found = []
    for tile in soup.select('article[data-q="search-result"]'):
        anchor = tile.select_one('a[data-q="search-result-anchor"]')
        match = _GUMTREE_ID.search(str(anchor.get("href") or "")) if anchor is not None else None
        if match is None:
            continue
        row = layer.get(match[1], {})
        img = tile.select_one('img[data-q="tile-image"]') or tile.select_one("img")
        found.append(
            (
                match[1],
                _soup_text(tile, '[data-q="tile-title"]') or row.get("name"),
                _soup_text(tile, '[data-q="tile-price"]') or row.get("pricePennies"),
                _soup_text(tile, '[data-q="tile-location"]') or row.get("location"),
                _soup_text(tile, '[data-q="tile-description"]'),
                _soup_text(tile, '[data-q="tile-datePosted"]'),
                img.get("data-src") or img.get("src") if img is not None else None,
            )
        )
    return found


def gumtree_scaled(results: int) -> Callable[[], str]:
    """The fixture page with its tiles and data-layer rows repeated to ``results`` entries."""

    def build() -> str:
        page = (FIXTURES / "gumtree" / "search_results.html").read_text()
        start = page.index('          <li class="css-1c4n8ge')
        end = page.index("        </ul>")
        tiles = page[start:end].split('          <li class="css-1c4n8ge')[1:]
        ids = [re.findall(r'href="/p/[^"]*/(\d+)"', tile)[0] for tile in tiles]
        items = [
            '          <li class="css-1c4n8ge'
            + tiles[i % len(tiles)].replace(ids[i % len(ids)], str(1490000000 + i))
            for i in range(results)
        ]
        match = _GUMTREE_LAYER.search(page)
        assert match is not None
        event = json.loads(base64.b64decode(match[1]))
        rows = event["listListingDetails"]
        event["listListingDetails"] = [
            {**rows[i % len(rows)], "id": 1490000000 + i} for i in range(results)
        ]
        blob = base64.b64encode(json.dumps(event).encode()).decode()
        page = page[: match.start(1)] + blob + page[match.end(1) :]
        start = page.index('          <li class="css-1c4n8ge')
        end = page.index("        </ul>")
        return page[:start] + "".join(items) + page[end:]

    return build


# --- Facebook Marketplace (the rendered results page, as page.content() returns it) ------

FACEBOOK = "https://www.facebook.com"
_FACEBOOK_ID = re.compile(r"/marketplace/item/(\d+)")


def facebook_ours(text: str) -> Sized:
    return parse_cards(text, FACEBOOK)


def facebook_soup(text: str, parser: str) -> Sized:
    """The same extraction as scrapers.facebook.cards, with BeautifulSoup (same text rules)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, parser)
    scope = soup.select_one('div[aria-label="Collection of Marketplace items"]') or soup
    cards: dict[str, Any] = {}
    for anchor in scope.select('a[href*="/marketplace/item/"]'):
        match = _FACEBOOK_ID.search(str(anchor.get("href") or ""))
        if match is None or match[1] in cards:
            continue
        pieces = [
            " ".join("".join(el.find_all(string=True, recursive=False)).split())
            for el in anchor.find_all(True)
            if el.name not in ("script", "style")
        ]
        price, title, place = facebook_split([p for p in pieces if p])
        img = anchor.find("img")
        cards[match[1]] = (
            title or (img.get("alt") if img else ""),
            price,
            place,
            img and img.get("src"),
        )
    return [card for card in cards.values() if card[0]]


def facebook_page(cards: int) -> Callable[[], str]:
    """A results page with ``cards`` cards, from the test fake's real-structured template."""
    return lambda: FacebookSite(base_url=FACEBOOK, first_batch=cards, total=cards).render_results(
        "ps5"
    )


for _case in (
    Case(
        "gumtree",
        "search page HTML, fixture (5 results)",
        fixture("gumtree/search_results.html"),
        gumtree_ours,
        gumtree_soup,
    ),
    Case(
        "gumtree",
        "search page HTML, 30 results (a page)",
        gumtree_scaled(30),
        gumtree_ours,
        gumtree_soup,
    ),
    Case(
        "facebook",
        "results page, first screen (8 cards)",
        facebook_page(8),
        facebook_ours,
        facebook_soup,
    ),
    Case(
        "facebook",
        "results page, scrolled (96 cards)",
        facebook_page(96),
        facebook_ours,
        facebook_soup,
    ),
):
    register(_case)


# --- measuring ------------------------------------------------------------------------


def per_page_ms(parse: Callable[[], Sized], seconds: float) -> float:
    """Median of several timed batches, in milliseconds per page."""
    parse()  # warm-up: imports, caches
    start = time.perf_counter()
    runs = 0
    while time.perf_counter() - start < seconds / 10 or runs < 3:
        parse()
        runs += 1
    batch = max(1, runs)
    samples = []
    for _ in range(7):
        begin = time.perf_counter()
        for _ in range(batch):
            parse()
        samples.append((time.perf_counter() - begin) / batch * 1000)
    return statistics.median(samples)


def soup_parsers() -> list[str]:
    try:
        import bs4  # noqa: F401
    except ImportError:
        return []
    parsers = ["html.parser"]
    try:
        import lxml  # noqa: F401

        parsers.append("lxml")
    except ImportError:
        pass
    return parsers


def row_for(case: Case, soups: list[str], seconds: float) -> str:
    text = case.text()
    items = len(case.ours(text))
    ours = per_page_ms(partial(case.ours, text), seconds)
    row = f"{case.site:<11} {case.page:<38} {items:>5} {ours:>9.3f}"
    for name in soups:
        if case.soup is None:
            row += f" {'n/a (JSON)':>17} {'':>6}"
            continue
        found = len(case.soup(text, name))
        assert found == items, f"{case.site}: bs4/{name} found {found}, ours {items}"
        theirs = per_page_ms(partial(case.soup, text, name), seconds)
        row += f" {theirs:>17.3f} {theirs / ours:>5.1f}×"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time budget per measurement")
    args = parser.parse_args()
    soups = soup_parsers()
    if not soups:
        print("beautifulsoup4 is not installed: only our parsers are timed (pip install -e .[dev])")
    header = f"{'site':<11} {'page':<38} {'items':>5} {'ours ms':>9}"
    header += "".join(f" {'bs4/' + p + ' ms':>17} {'slower':>6}" for p in soups)
    print(header)
    print("-" * len(header))
    for case in CASES:
        print(row_for(case, soups, args.seconds), flush=True)


if __name__ == "__main__":
    main()
