"""Facebook Marketplace pages → listings, and what kind of page the browser landed on.

What the real site serves (www.facebook.com/marketplace/…, 2024–25). Class names are atomic
CSS (``x1lliihq x6ikm8r …``) regenerated with every deploy, so nothing here relies on them:

- Results sit in ``div[aria-label="Collection of Marketplace items"]``. Each card is a link
  ``a[href*="/marketplace/item/<id>/"]`` (the href carries ``?ref=search&tracking=…``).
- Inside the link: an ``<img>`` (the photo, on scontent…fbcdn.net; its ``alt`` is usually the
  title), then text spans in a fixed order: the price — a span whose own text is the current
  price ("£320", "CA$75", "Free") with the struck-through old price nested in it — then the
  title, then the place ("London, United Kingdom"; "Ships to you" for postage), then for
  vehicles the mileage. Some cards open with a badge ("Just listed").
- Two rarer shapes: cards whose link has an ``aria-label`` like
  "Arcade 1Up, $300, Newburgh, IN, listing 1356224139807798", and injected notification
  cards in prose: ``<b>title</b> listed for <b>$50.00</b>``.
- A search with no results shows "No listings found for "…" within N miles".
- The login page is /login/ with ``form#login_form`` (``input[name="email"]``,
  ``input[name="pass"]``); logged-out visitors also get a login dialog after scrolling a while.
- A checkpoint is /checkpoint/<id>/ ("Your account has been locked", "Confirm you're human").
- "You're Temporarily Blocked … you were misusing this feature by going too fast" is
  Facebook's own rate limit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.errors import ParseError
from core.ports import ListingData
from scrapers.common import clean_text, parse_price
from scrapers.facebook.urls import MARKETPLACE

__all__ = ["CARD_SELECTOR", "PageKind", "classify_page", "page_title", "parse_cards"]

logger = logging.getLogger(__name__)

CARD_SELECTOR = 'a[href*="/marketplace/item/"]'
COLLECTION_SELECTOR = 'div[aria-label="Collection of Marketplace items"]'
_ITEM_ID = re.compile(r"/marketplace/item/(\d+)")
# "£320", "CA$75", "€ 40", "$1,200", "40 €", "Free"
_PRICE = re.compile(r"^(?:[A-Z]{0,3}[£$€¥₹]\s?\d[\d,.]*|\d[\d,.]*\s?[£$€¥₹]|free)$", re.IGNORECASE)
_CURRENCIES = (("CA$", "CAD"), ("A$", "AUD"), ("NZ$", "NZD"), ("£", "GBP"), ("€", "EUR"),
               ("$", "USD"), ("¥", "JPY"), ("₹", "INR"))  # fmt: skip
_BADGES = {"just listed", "unread", "sponsored", "pending", "new", "sold"}
_NOT_A_PLACE = {"ships to you", "shipping available"}
_NO_RESULTS = re.compile(r"no listings found|no results found|couldn.t find any", re.I)
_THROTTLED = re.compile(r"temporarily blocked|going too fast", re.I)
_CHECKPOINT_TEXT = re.compile(
    r"your account has been (?:temporarily )?(?:locked|suspended|disabled)|confirm (?:you.re|that "
    r"you.re) human|security check",
    re.I,
)


class PageKind(StrEnum):
    RESULTS = "results"
    NO_RESULTS = "no_results"
    LOGIN = "login"
    CHECKPOINT = "checkpoint"
    THROTTLED = "throttled"
    UNKNOWN = "unknown"


def page_title(html: str) -> str:
    node = LexborHTMLParser(html).css_first("title")
    return clean_text(node.text()) if node is not None else ""


def _path(url: str) -> str:
    return urlsplit(url).path


def _body_text(tree: LexborHTMLParser) -> str:
    body = tree.body
    return clean_text(body.text(separator=" ")) if body is not None else ""


def _login_wall(tree: LexborHTMLParser) -> bool:
    """A login form where Marketplace should be (a logged-out header form does not count)."""
    if tree.css_first(COLLECTION_SELECTOR) is not None:
        return False
    return tree.css_first('form#login_form, input[name="pass"], form[action*="/login"]') is not None


def classify_page(html: str, url: str) -> PageKind:
    """What the browser is showing: results, none, a login wall, a checkpoint, a throttle."""
    path = _path(url)
    if path.startswith("/checkpoint"):
        return PageKind.CHECKPOINT
    if path.startswith(("/login", "/login.php")):
        return PageKind.LOGIN
    tree = LexborHTMLParser(html)
    if tree.css_first(CARD_SELECTOR) is not None:
        return PageKind.RESULTS  # a login dialog over results still leaves the results usable
    text = _body_text(tree)
    if tree.css_first('form[action*="/checkpoint/"]') is not None or _CHECKPOINT_TEXT.search(text):
        return PageKind.CHECKPOINT
    if _THROTTLED.search(text):
        return PageKind.THROTTLED
    if _NO_RESULTS.search(text):
        return PageKind.NO_RESULTS
    if _login_wall(tree):
        return PageKind.LOGIN
    return PageKind.UNKNOWN


@dataclass(frozen=True, slots=True)
class _Card:
    id: str
    url: str
    title: str
    price_text: str
    place: str
    image_url: str | None
    ships: bool = False  # the card says "Ships to you": the seller posts (no cost is shown)


def _segments(anchor: LexborNode) -> list[str]:
    """The card's own text pieces in reading order (a nested old price is its own piece)."""
    pieces = []
    for node in anchor.traverse(include_text=False):
        if node is anchor or node.tag in ("script", "style"):
            continue
        text = clean_text(node.text(deep=False))
        if text:
            pieces.append(text)
    return pieces


def _split(pieces: list[str]) -> tuple[str, str, str]:
    """(price, title, place) from the pieces: the first price, then the next two texts."""
    price_at = next((i for i, p in enumerate(pieces) if _PRICE.match(p)), None)
    after = pieces if price_at is None else pieces[price_at + 1 :]
    rest = [p for p in after if not _PRICE.match(p) and p.lower() not in _BADGES]
    price = "" if price_at is None else pieces[price_at]
    title = rest[0] if rest else ""
    place = rest[1] if len(rest) > 1 else ""
    return price, title, "" if place.lower() in _NOT_A_PLACE else place


def _from_aria_label(label: str) -> tuple[str, str, str]:
    """ "Arcade 1Up, $300, Newburgh, IN, listing 1356…" → ("$300", "Arcade 1Up", "Newburgh, IN")."""
    parts = [p.strip() for p in re.sub(r",?\s*listing \d+\s*$", "", label).split(",")]
    price_at = next((i for i, p in enumerate(parts) if _PRICE.match(p)), None)
    if price_at is None:
        return "", "", ""
    place = ", ".join(p for p in parts[price_at + 1 :] if p)
    return parts[price_at], ", ".join(parts[:price_at]), place


def _from_prose(anchor: LexborNode) -> tuple[str, str, str]:
    """A notification card: <b>title</b> listed for <b>£50</b>."""
    bold = [clean_text(b.text()) for b in anchor.css("b")]
    if len(bold) >= 2 and "listed for" in clean_text(anchor.text(separator=" ")).lower():
        return bold[-1], bold[0], ""
    return "", "", ""


def _image(anchor: LexborNode, base_url: str) -> tuple[str | None, str]:
    img = anchor.css_first("img")
    if img is None:
        return None, ""
    src = img.attributes.get("src") or ""
    alt = clean_text(img.attributes.get("alt"))
    return (urljoin(base_url, src) if src and not src.startswith("data:") else None), alt


def _card(anchor: LexborNode, item_id: str, base_url: str) -> _Card:
    price, title, place = _split(_segments(anchor))
    if not title:
        label = anchor.attributes.get("aria-label") or ""
        price, title, place = _from_aria_label(label) if label else _from_prose(anchor)
    image_url, alt = _image(anchor, base_url)
    url = urljoin(base_url, f"/marketplace/item/{item_id}/")  # without the tracking query
    ships = any(p.lower() in _NOT_A_PLACE for p in _segments(anchor))
    return _Card(item_id, url, title or alt, price, place, image_url, ships)


def _currency(price_text: str, default: str) -> str:
    text = price_text.upper()
    return next((code for symbol, code in _CURRENCIES if symbol in text), default)


def _listing(card: _Card, currency: str) -> ListingData:
    return ListingData(
        marketplace=MARKETPLACE,
        external_id=card.id,
        url=card.url,
        title=card.title,
        price=_price(card.price_text),
        currency=_currency(card.price_text, currency),
        location=card.place,
        image_url=card.image_url,
        ships=card.ships,
    )


def _price(text: str) -> Decimal | None:
    return parse_price(text) if text else None


def _cards(tree: LexborHTMLParser, base_url: str) -> list[_Card]:
    scope = tree.css_first(COLLECTION_SELECTOR) or tree.root
    cards: dict[str, _Card] = {}
    for anchor in scope.css(CARD_SELECTOR) if scope is not None else []:
        match = _ITEM_ID.search(anchor.attributes.get("href") or "")
        if match and match[1] not in cards:
            cards[match[1]] = _card(anchor, match[1], base_url)
    return list(cards.values())


def parse_cards(html: str, base_url: str, *, currency: str = "GBP") -> list[ListingData]:
    """Every card on a results page, in page order (newest first when sorted so).

    A card without a title is skipped with a warning; a page whose cards all lack one is a
    changed layout: ``ParseError``. ``currency`` is for prices without a symbol ("Free").
    """
    cards = _cards(LexborHTMLParser(html), base_url)
    usable = [card for card in cards if card.title]
    if cards and not usable:
        raise ParseError(
            f"Facebook's listing cards have changed: {len(cards)} {CARD_SELECTOR} links but "
            "none with a readable title and price; the Facebook scraper needs updating",
            marketplace=MARKETPLACE,
        )
    if len(usable) < len(cards):
        skipped = [card.id for card in cards if not card.title]
        logger.warning("facebook: %d cards without a title skipped: %s", len(skipped), skipped)
    return [_listing(card, currency) for card in usable]
