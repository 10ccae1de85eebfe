"""Does a listing match a search's criteria? Pure functions: no I/O, no database.

Keyword expressions (``Criteria.keywords``)
-------------------------------------------
* ``ps5 controller`` – every word is required, in any order (AND).
* ``"series x"`` – a quoted phrase: its words must appear together, in this order.
  An unclosed quote takes the rest of the expression as the phrase.
* ``ps5 OR xbox`` / ``ps5|xbox`` – either term will do. ``OR`` (uppercase only) and ``|``
  join the terms on each side into one group of alternatives, so ``a OR b c`` means
  "(a or b) and c", and ``"series x" OR ps5 controller`` means "(series x or ps5) and
  controller".
* A single word that contains punctuation (``iPhone-13``) is read as the phrase
  ``"iphone 13"``.

Matching is case- and accent-insensitive and works on whole words: the listing's title and
description are cut into tokens by :func:`normalise`, so ``Café`` matches ``cafe`` but
``phone`` does not match ``iPhone``. ``Criteria.exclude`` entries (words or phrases) reject
a listing that contains them, by the same rules.

Location and radius are not checked here: the marketplace filters by place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from core.currency import Rates, compare
from core.enums import BuyingFormat, Condition
from core.errors import InvalidCriteria

if TYPE_CHECKING:  # annotations only: lets core.criteria import this module without a cycle
    from core.criteria import Criteria
    from core.ports import ListingData

__all__ = [
    "KeywordQuery",
    "category_ok",
    "compared_price",
    "condition_ok",
    "excluded",
    "format_ok",
    "fresh_enough",
    "is_price_drop",
    "keywords_match",
    "matches",
    "normalise",
    "parse_keywords",
    "price_in_range",
    "seller_key",
    "seller_ok",
]

Phrase = tuple[str, ...]

_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits of any script
# One lexeme of a keyword expression: a quoted phrase (closed or running to the end), the
# ``|`` operator, or a run of anything else up to whitespace, a quote or a ``|``.
_LEXEME = re.compile(r'"(?P<quoted>[^"]*)"?|(?P<bar>\|)|(?P<word>[^\s"|]+)')
_OR_WORD = "OR"


class _MarkStripper(dict[int, int | None]):
    """``str.translate`` table deleting combining marks, filled in as characters are seen."""

    def __missing__(self, codepoint: int) -> int | None:
        kept = None if unicodedata.category(chr(codepoint)).startswith("M") else codepoint
        self[codepoint] = kept
        return kept


_STRIP_MARKS = _MarkStripper()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).translate(_STRIP_MARKS)


def normalise(text: str) -> tuple[str, ...]:
    """Case- and accent-insensitive word tokens, e.g. ``"iPhone-13 Café"`` gives
    ``("iphone", "13", "cafe")``: NFKD, combining marks dropped, casefolded, split on
    anything that is not a letter or a digit.
    """
    if text.isascii():
        return tuple(_ASCII_TOKEN.findall(text.lower()))
    folded = _fold(text).casefold()
    if not folded.isascii():
        folded = _fold(folded)  # casefolding can produce characters that decompose again
    return tuple(_TOKEN.findall(folded))


def _padded(tokens: tuple[str, ...]) -> str:
    """Tokens as ``" a b c "``: a phrase occurs iff its padded form is a substring."""
    return f" {' '.join(tokens)} "


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    """A parsed keyword expression.

    Every group is required; a group is satisfied when any of its alternatives (a phrase:
    a tuple of normalised tokens) occurs as a contiguous run of whole words.
    """

    groups: tuple[tuple[Phrase, ...], ...]
    _needles: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needles = tuple(tuple(_padded(phrase) for phrase in group) for group in self.groups)
        object.__setattr__(self, "_needles", needles)

    def satisfied_by(self, text: str) -> bool:
        """Whether ``text`` (raw, not yet normalised) satisfies every group."""
        return self._satisfied_in(_padded(normalise(text)))

    def _satisfied_in(self, haystack: str) -> bool:
        return all(any(needle in haystack for needle in group) for group in self._needles)

    def to_expression(self) -> str:
        """The canonical expression: ``parse_keywords(q.to_expression()) == q``."""
        return " ".join(
            f" {_OR_WORD} ".join(_phrase_text(phrase) for phrase in group) for group in self.groups
        )


def _phrase_text(phrase: Phrase) -> str:
    text = " ".join(phrase)
    return f'"{text}"' if len(phrase) > 1 else text


def _lex(expression: str) -> list[Phrase | None]:
    """Terms as normalised phrases, with ``None`` standing for an OR operator."""
    lexemes: list[Phrase | None] = []
    for found in _LEXEME.finditer(expression):
        if found["bar"] is not None or found["word"] == _OR_WORD:
            lexemes.append(None)
            continue
        phrase = normalise(found["quoted"] if found["quoted"] is not None else found["word"])
        if phrase:  # punctuation-only terms carry no token: drop them
            lexemes.append(phrase)
    return lexemes


def _group(lexemes: list[Phrase | None]) -> list[list[Phrase]]:
    groups: list[list[Phrase]] = []
    join_next = False
    for lexeme in lexemes:
        if lexeme is None:
            join_next = bool(groups)  # a leading OR joins nothing
        elif join_next:
            if lexeme not in groups[-1]:
                groups[-1].append(lexeme)
            join_next = False
        else:
            groups.append([lexeme])
    return groups


@lru_cache(maxsize=16384)
def parse_keywords(expression: str) -> KeywordQuery:
    """Parse a keyword expression (syntax in the module docstring).

    Raises ``InvalidCriteria`` when the expression holds no usable word.
    """
    groups: list[tuple[Phrase, ...]] = []
    for group in _group(_lex(expression)):
        alternatives = tuple(group)
        if alternatives not in groups:
            groups.append(alternatives)
    if not groups:
        raise InvalidCriteria(
            f"The keywords {expression.strip()!r} contain no word to search for: "
            "type at least one word made of letters or digits."
        )
    return KeywordQuery(groups=tuple(groups))


@lru_cache(maxsize=16384)
def _exclude_needles(exclude: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_padded(tokens) for tokens in map(normalise, exclude) if tokens)


@lru_cache(maxsize=8192)
def _haystack(title: str, description: str) -> str:
    # The same listing is checked against every search sharing its fetch: normalise it once.
    return _padded(normalise(f"{title} {description}"))


def _listing_haystack(listing: ListingData) -> str:
    return _haystack(listing.title, listing.description)


def keywords_match(criteria: Criteria, listing: ListingData) -> bool:
    """Every keyword group occurs in the listing's title + description (no keywords: a
    seller-only search, anything of the followed sellers)."""
    if not criteria.keywords.strip():
        return True
    return parse_keywords(criteria.keywords)._satisfied_in(_listing_haystack(listing))


def excluded(criteria: Criteria, listing: ListingData) -> bool:
    """Some ``criteria.exclude`` word or phrase occurs in the listing's title + description."""
    needles = _exclude_needles(criteria.exclude)
    if not needles:
        return False
    haystack = _listing_haystack(listing)
    return any(needle in haystack for needle in needles)


def compared_price(criteria: Criteria, listing: ListingData) -> Decimal | None:
    """The price the bounds apply to. For a search of auctions, an auction's current bid;
    otherwise the Buy It Now price, which an auction-only listing does not have (its bid
    says nothing of what it will sell for: a new £0.99 auction would pass every cap). With
    ``cap_total``, postage is added where the marketplace gives it."""
    if criteria.buying_format is BuyingFormat.AUCTION and listing.is_auction:
        price = listing.current_bid if listing.current_bid is not None else listing.price
    elif listing.buying_format is BuyingFormat.AUCTION:
        price = None
    else:
        price = listing.price
    if criteria.cap_total and price is not None and listing.postage is not None:
        price += listing.postage
    return price


def format_ok(criteria: Criteria, listing: ListingData, now: datetime) -> bool:
    """Buy It Now only / auctions only / both, and "auctions ending within N hours": an
    auction then matches only from N hours before its end (unknown end: no match)."""
    wanted = criteria.buying_format
    if wanted is BuyingFormat.BUY_IT_NOW and listing.buying_format is BuyingFormat.AUCTION:
        return False
    if wanted is BuyingFormat.AUCTION and not listing.is_auction:
        return False
    window = criteria.ending_within_hours
    auction_rules = listing.buying_format is BuyingFormat.AUCTION or wanted is BuyingFormat.AUCTION
    if window is None or not auction_rules or wanted is BuyingFormat.BUY_IT_NOW:
        return True
    if listing.ends_at is None:
        return False
    left = _aware(listing.ends_at) - _aware(now)
    return timedelta(0) < left <= timedelta(hours=window)


def price_in_range(criteria: Criteria, listing: ListingData, rates: Rates | None = None) -> bool:
    """With a price bound set, the listing needs a known price (``compared_price``) within
    ``[min_price, max_price]`` (inclusive), compared in the criteria's currency. A price in
    another currency is compared through ``rates`` exactly (``core.currency.compare``); it
    passes unconverted when it cannot be compared (no rates ever fetched, or a currency the
    ECB does not publish): a listing the user might want is not dropped for want of a rate.
    Without bounds, anything goes."""
    if criteria.min_price is None and criteria.max_price is None:
        return True
    price = compared_price(criteria, listing)
    if price is None or price.is_nan():
        return False
    for bound, too_far in ((criteria.min_price, -1), (criteria.max_price, 1)):
        if bound is None:
            continue
        order = compare(price, listing.currency, bound, criteria.currency, rates)
        if order is None:
            return True  # not comparable: passes unconverted
        if order == too_far:
            return False
    return True


def condition_ok(criteria: Criteria, listing: ListingData) -> bool:
    """``ANY`` accepts everything; a listing of unknown condition (``ANY``) is accepted."""
    wanted = criteria.condition
    return Condition.ANY in (wanted, listing.condition) or listing.condition == wanted


def _category_key(category: str) -> str:
    return category.strip().casefold()


def category_ok(criteria: Criteria, listing: ListingData) -> bool:
    """Equal categories (case-insensitive); a search or a listing without one passes."""
    wanted, actual = _category_key(criteria.category), _category_key(listing.category)
    return not wanted or not actual or wanted == actual


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so naive and aware values can be compared."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def fresh_enough(criteria: Criteria, listing: ListingData, now: datetime) -> bool:
    """Not older than ``max_age_hours``; a listing of unknown age passes."""
    if criteria.max_age_hours is None or listing.posted_at is None:
        return True
    age = _aware(now) - _aware(listing.posted_at)
    return age <= timedelta(hours=criteria.max_age_hours)


def seller_key(seller: str) -> str:
    """The spelling followed and blocked sellers are compared in (spaces and case folded)."""
    return " ".join(seller.split()).casefold()


def seller_ok(criteria: Criteria, listing: ListingData) -> bool:
    """Following sellers: the listing must show one of them (no seller shown: no match)."""
    return not criteria.sellers or seller_key(listing.seller) in criteria.sellers


def matches(
    criteria: Criteria, listing: ListingData, now: datetime, rates: Rates | None = None
) -> bool:
    """Whether ``listing`` satisfies every local rule of ``criteria`` (cheap checks first);
    ``rates`` convert a price in another currency (``core.currency``).

    Raises ``InvalidCriteria`` if ``criteria.keywords`` holds no usable word.
    """
    return (
        seller_ok(criteria, listing)
        and price_in_range(criteria, listing, rates)
        and condition_ok(criteria, listing)
        and format_ok(criteria, listing, now)
        and category_ok(criteria, listing)
        and fresh_enough(criteria, listing, now)
        and keywords_match(criteria, listing)
        and not excluded(criteria, listing)
    )


def is_price_drop(old: Decimal | None, new: Decimal | None) -> bool:
    """True only when both prices are known and the new one is lower."""
    if old is None or new is None or old.is_nan() or new.is_nan():
        return False
    return new < old
