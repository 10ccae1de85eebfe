"""What a search looks for, and how it is stored (JSON on the Search row)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from core.enums import BuyingFormat, Condition
from core.errors import InvalidCriteria
from core.matching import parse_keywords, seller_key

MAX_RADIUS_MILES = 500
MAX_SELLERS = 10  # eBay's sellers filter takes a short list


@dataclass(frozen=True, slots=True)
class Criteria:
    """A search's criteria.

    ``keywords`` is an expression: every word is required, ``"quoted phrases"`` must appear
    as written, ``a OR b`` (or ``a|b``) accepts either; see ``core.matching``.
    ``location`` + ``radius_miles`` are passed to marketplaces that filter by place.
    """

    keywords: str
    exclude: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    currency: str = "GBP"
    location: str = ""
    radius_miles: int | None = None
    condition: Condition = Condition.ANY
    category: str = ""
    max_age_hours: int | None = None
    # Marketplace-specific fields, keyed "<marketplace>.<field>" (e.g. "craigslist.site").
    extra: dict[str, str] = field(default_factory=dict)
    # --- resellers (issue 14); docs/resellers.md ---
    # Followed sellers (casefolded): only their listings match. With sellers, keywords may
    # be empty ("everything this seller lists").
    sellers: tuple[str, ...] = ()
    # Buy It Now only, auctions only, or both. The dataclass default is BOTH (what searches
    # saved before this setting got); the wizard offers BUY_IT_NOW first for new searches.
    buying_format: BuyingFormat = BuyingFormat.BOTH
    # Auctions only when they end within this many hours (alerted once, on entering it).
    ending_within_hours: int | None = None
    # The price bounds apply to the price with postage (where the marketplace gives it).
    cap_total: bool = False
    # Reposts (a seller's relist of something alerted in the last 14 days) are alerted,
    # marked as reposts, instead of being left out (core.reposts).
    show_reposts: bool = False
    # Tell the chat once when a listing saved from this search sells, ends or goes
    # (core.saved_state); off unless asked for.
    tell_saved_state: bool = False
    # --- is it a deal? (issue 16); docs/prices.md ---
    # Alert only listings at least this many % under the usual price (None: every listing).
    # While the usual price rests on too few listings, every listing is alerted.
    deals_only_percent: int | None = None
    # Title words that mark a listing as an accessory or parts, not the item: such listings
    # do not count towards the usual price and get no verdict (core.verdict has defaults).
    accessory_words: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        followed = tuple(sorted({seller_key(s) for s in self.sellers} - {""}))
        object.__setattr__(self, "sellers", followed)
        if not self.keywords.strip():
            if not self.sellers:
                raise InvalidCriteria("Keywords cannot be empty: type at least one word.")
        else:
            parse_keywords(self.keywords)  # raises InvalidCriteria when no word is usable
        if len(self.sellers) > MAX_SELLERS:
            raise InvalidCriteria(f"Follow at most {MAX_SELLERS} sellers in one search.")
        for bound in (self.min_price, self.max_price):
            if bound is not None and bound < 0:
                raise InvalidCriteria("Prices cannot be negative.")
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise InvalidCriteria("The minimum price is above the maximum price.")
        if self.radius_miles is not None and not 0 < self.radius_miles <= MAX_RADIUS_MILES:
            raise InvalidCriteria(f"Radius must be between 1 and {MAX_RADIUS_MILES} miles.")
        if self.ending_within_hours is not None and not 0 < self.ending_within_hours <= 24 * 30:
            raise InvalidCriteria("Auctions ending within: between 1 and 720 hours.")
        if self.max_age_hours is not None and self.max_age_hours <= 0:
            raise InvalidCriteria("Maximum listing age must be a positive number of hours.")
        _check_deals(self.deals_only_percent)

    def __hash__(self) -> int:
        # Explicit because ``extra`` is a dict: equal criteria (a check matches each distinct
        # one once) must hash alike.
        return hash(
            (
                self.keywords,
                self.exclude,
                self.min_price,
                self.max_price,
                self.currency,
                self.location,
                self.radius_miles,
                self.condition,
                self.category,
                self.max_age_hours,
                tuple(sorted(self.extra.items())),
                self.sellers,
                self.buying_format,
                self.ending_within_hours,
                self.cap_total,
                self.show_reposts,
                self.tell_saved_state,
                self.deals_only_percent,
                self.accessory_words,
            )
        )

    def with_changes(self, **changes: Any) -> Criteria:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["exclude"] = list(self.exclude)
        data["sellers"] = list(self.sellers)
        data["accessory_words"] = list(self.accessory_words)
        data["condition"] = self.condition.value
        data["buying_format"] = self.buying_format.value
        for key in ("min_price", "max_price"):
            data[key] = None if data[key] is None else str(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Criteria:
        try:
            return cls(
                keywords=str(data["keywords"]),
                exclude=tuple(data.get("exclude") or ()),
                min_price=_decimal_or_none(data.get("min_price")),
                max_price=_decimal_or_none(data.get("max_price")),
                currency=str(data.get("currency") or "GBP"),
                location=str(data.get("location") or ""),
                radius_miles=data.get("radius_miles"),
                condition=Condition(data.get("condition") or Condition.ANY),
                category=str(data.get("category") or ""),
                max_age_hours=data.get("max_age_hours"),
                extra=dict(data.get("extra") or {}),
                sellers=tuple(str(s) for s in data.get("sellers") or ()),
                buying_format=BuyingFormat(data.get("buying_format") or BuyingFormat.BOTH),
                ending_within_hours=data.get("ending_within_hours"),
                cap_total=bool(data.get("cap_total")),
                show_reposts=bool(data.get("show_reposts")),
                tell_saved_state=bool(data.get("tell_saved_state")),
                deals_only_percent=data.get("deals_only_percent"),
                accessory_words=tuple(str(w) for w in data.get("accessory_words") or ()),
            )
        except (KeyError, ValueError, InvalidOperation) as exc:
            raise InvalidCriteria(f"Stored criteria are unreadable: {exc}") from exc

    def extras_for(self, marketplace: str) -> tuple[tuple[str, str], ...]:
        """``marketplace``'s own extra fields, without the prefix (part of its fetch key, see
        ``core.fetchkeys``): other sites' don't split the coalescing of this one's fetches,
        and an empty answer (eBay's "country-wide") is the same request as no answer."""
        prefix = f"{marketplace}."
        return tuple(
            sorted(
                (k.removeprefix(prefix), v)
                for k, v in self.extra.items()
                if k.startswith(prefix) and v
            )
        )


def _check_deals(percent: int | None) -> None:
    if percent is not None and not 0 < percent < 100:
        raise InvalidCriteria("Deals only: a percentage between 1 and 99.")


def _decimal_or_none(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))
