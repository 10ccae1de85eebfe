"""The /newsearch wizard's steps: what each asks, how it reads the answer, how it is shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.conversation import deal_steps
from bot.conversation import reseller_steps as resellers
from bot.conversation.answers import (
    BadAnswer,
    parse_exclude,
    parse_location,
    parse_name,
    parse_price,
)
from bot.conversation.replies import Reply, ask
from core.currency import CURRENCY_NAMES, normalise_currency
from core.enums import Channel, Condition, Tier
from core.formatting import range_text
from core.numbers import parse_int
from core.ports import MarketplaceQuestion
from core.tiers import TierTable, describe_interval

Answers = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WizardContext:
    """What the asking user may choose from."""

    tiers: TierTable
    tier: Tier
    marketplaces: tuple[str, ...]
    channels: tuple[Channel, ...] = (Channel.CHAT,)
    # What each marketplace asks beyond the common steps (see bot/conversation/extras.py).
    questions: Mapping[str, tuple[MarketplaceQuestion, ...]] = field(default_factory=dict)
    # The currency each marketplace prices in, given its extras (the currency step's default).
    currencies: Mapping[str, Callable[[Mapping[str, str]], str]] = field(default_factory=dict)

    @property
    def max_marketplaces(self) -> int:
        return self.tiers.for_tier(self.tier).max_marketplaces_per_search


def _no_options(picked: list[Any], ctx: WizardContext) -> Answers:
    raise BadAnswer("Type your answer.")


@dataclass(frozen=True, slots=True)
class Step:
    """One question: ``prompt`` asks it (its options' values are what ``pick`` receives when
    buttons are pressed), ``parse`` reads a typed answer, ``show`` is its summary line."""

    key: str
    label: str
    prompt: Callable[[WizardContext], Reply]
    parse: Callable[[str, WizardContext], Answers]
    show: Callable[[Answers], str]
    pick: Callable[[list[Any], WizardContext], Answers] = _no_options
    # A prompt that depends on earlier answers (the currency step's default); else ``prompt``.
    prompt_after: Callable[[WizardContext, Answers], Reply] | None = None
    # Whether the summary shows this step's line (auction lines only where there are auctions).
    in_summary: Callable[[Answers], bool] = lambda answers: True

    def reply(self, ctx: WizardContext, answers: Answers) -> Reply:
        return self.prompt(ctx) if self.prompt_after is None else self.prompt_after(ctx, answers)


def _choices(text: str, ctx_values: tuple[str, ...], allowed: tuple[str, ...]) -> list[str]:
    picked = [v.strip().lower() for v in text.replace(" ", ",").split(",") if v.strip()]
    unknown = [p for p in picked if p not in ctx_values]
    if not picked or unknown:
        raise BadAnswer("Choose from: " + ", ".join(allowed) + ".")
    return list(dict.fromkeys(picked))


# name -------------------------------------------------------------------------------------
def _ask_name(ctx: WizardContext) -> Reply:
    return ask("What shall we call this search? (for example: Cheap PS5)")


# marketplaces -----------------------------------------------------------------------------
def _ask_marketplaces(ctx: WizardContext) -> Reply:
    limit = ctx.max_marketplaces
    return ask(
        f"Which marketplaces? Your {ctx.tier.value} plan allows {limit} per search.",
        *((m.capitalize(), m) for m in ctx.marketplaces),
        multi=limit > 1,
    )


def _parse_marketplaces(text: str, ctx: WizardContext) -> Answers:
    return _pick_marketplaces(_choices(text, ctx.marketplaces, ctx.marketplaces), ctx)


def _pick_marketplaces(picked: list[Any], ctx: WizardContext) -> Answers:
    picked = [str(p) for p in dict.fromkeys(picked) if p in ctx.marketplaces]
    if not picked:
        raise BadAnswer("Choose from: " + ", ".join(ctx.marketplaces) + ".")
    if len(picked) > ctx.max_marketplaces:
        raise BadAnswer(
            f"Your {ctx.tier.value} plan allows {ctx.max_marketplaces} marketplace(s) per "
            "search; pick fewer."
        )
    return {"marketplaces": tuple(picked), **resellers.format_unless_auctions(picked)}


# keywords and exclusions ------------------------------------------------------------------
def _ask_keywords(ctx: WizardContext) -> Reply:
    return ask(
        'What are you looking for? Every word must appear; use "quotes" for an exact phrase '
        'and OR for alternatives, e.g.  ps5 OR xbox "series x". Add seller:NAME to follow a '
        "seller (seller:NAME alone: everything they list)."
    )


def _ask_exclude(ctx: WizardContext) -> Reply:
    return ask(
        "Any words that rule a listing out? Separate them with commas "
        "(e.g. broken, faulty, spares) — or none.",
        ("None", ()),
    )


# price ------------------------------------------------------------------------------------
def _ask_price(ctx: WizardContext) -> Reply:
    return ask(
        "What price? A maximum like 150, a range like 100-250, a minimum like 100+, or any. "
        "Add 'total' (150 total) to cap the price with postage. (The currency comes after "
        "the place.)",
        ("Any price", (None, None)),
    )


def _parse_price(text: str, ctx: WizardContext) -> Answers:
    text, total = resellers.split_total(text)  # "150 total": the cap is on price + postage
    low, high = parse_price(text)
    return {"min_price": low, "max_price": high, "cap_total": total}


def _show_price(answers: Answers) -> str:
    low: Decimal | None = answers.get("min_price")
    high: Decimal | None = answers.get("max_price")
    shown = range_text(low, high, answers.get("currency") or "GBP")
    return shown + " with postage" if answers.get("cap_total") and shown != "any" else shown


# currency (issue 13) ----------------------------------------------------------------------
COMMON_CURRENCIES = ("GBP", "USD", "EUR", "CAD", "AUD")


def default_currency(ctx: WizardContext, answers: Answers) -> str:
    """The currency of the first chosen marketplace's site (Craigslist: the site's; eBay:
    EBAY_MARKETPLACE_ID's; Gumtree: GBP), else the one already chosen, else GBP."""
    chosen = answers.get("currency")
    if chosen:
        return str(chosen)
    for marketplace in answers.get("marketplaces") or ():
        currency_of = ctx.currencies.get(marketplace)
        if currency_of is not None:
            prefix = f"{marketplace}."
            own = {
                k.removeprefix(prefix): v
                for k, v in (answers.get("extra") or {}).items()
                if k.startswith(prefix)
            }
            return currency_of(own)
    return "GBP"


def _currency_label(code: str) -> str:
    name = CURRENCY_NAMES.get(code)
    return f"{name} ({code})" if name else code


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ask_currency(ctx: WizardContext, answers: Answers) -> Reply:
    default = default_currency(ctx, answers)
    others = [c for c in COMMON_CURRENCIES if c != default]
    chosen = answers.get("marketplaces") or ()
    site = f"{chosen[0].capitalize()} prices" if chosen else "Prices are"
    return ask(
        f"Which currency is your price range in? {site} in {_currency_label(default)}. "
        "Listings in another currency are converted with the European Central Bank's "
        "daily rates. Pick one, or type a code like CHF.",
        (_capitalised(_currency_label(default)), default),
        *((c, c) for c in others),
    )


def _parse_currency(text: str, ctx: WizardContext) -> Answers:
    try:
        code = normalise_currency(text)
    except ValueError as exc:
        raise BadAnswer(f"{exc} Pick one of the buttons or type a code.") from exc
    return {"currency": code}


# location ---------------------------------------------------------------------------------
def _ask_location(ctx: WizardContext) -> Reply:
    return ask(
        "Where? A town or postcode and an optional radius in miles, like 'Leeds 10' — or anywhere.",
        ("Anywhere", ("", None)),
    )


def _parse_location(text: str, ctx: WizardContext) -> Answers:
    place, radius = parse_location(text)
    return {"location": place, "radius_miles": radius}


def _show_location(answers: Answers) -> str:
    place, radius = answers.get("location"), answers.get("radius_miles")
    if not place:
        return "anywhere"
    return f"{place} (within {radius} miles)" if radius else str(place)


# condition --------------------------------------------------------------------------------
def _ask_condition(ctx: WizardContext) -> Reply:
    return ask(
        "New or used?",
        ("Any", Condition.ANY),
        ("Used", Condition.USED),
        ("New", Condition.NEW),
    )


def _parse_condition(text: str, ctx: WizardContext) -> Answers:
    try:
        return {"condition": Condition(text.strip().lower())}
    except ValueError as exc:
        raise BadAnswer("Choose any, used or new.") from exc


# interval ---------------------------------------------------------------------------------
def _ask_interval(ctx: WizardContext) -> Reply:
    choices = ctx.tiers.interval_choices(ctx.tier)
    fastest = describe_interval(choices[0])
    return ask(
        f"How often shall I check? Your {ctx.tier.value} plan checks as often as every {fastest}.",
        *((f"Every {describe_interval(s)}", s) for s in choices),
    )


def _pick_interval(picked: list[Any], ctx: WizardContext) -> Answers:
    if picked[0] not in ctx.tiers.interval_choices(ctx.tier):
        raise BadAnswer("Choose one of the intervals listed.")
    return {"interval_seconds": int(picked[0])}


def _parse_interval(text: str, ctx: WizardContext) -> Answers:
    choices = ctx.tiers.interval_choices(ctx.tier)
    labels = {describe_interval(s).replace(" ", ""): s for s in choices}
    key = text.strip().lower().removeprefix("every").replace(" ", "")
    typed = parse_int(key)
    seconds = typed if typed in choices else labels.get(key)
    if seconds is None:
        allowed = ", ".join(describe_interval(s) for s in choices)
        raise BadAnswer(f"Choose one of: {allowed} (what your {ctx.tier.value} plan allows).")
    return {"interval_seconds": seconds}


# channels ---------------------------------------------------------------------------------
def _ask_channels(ctx: WizardContext) -> Reply:
    extra = [c for c in ctx.channels if c is not Channel.CHAT]
    note = "" if extra else " Email, SMS and webhooks can be added once verified in /settings."
    return ask(
        "Where shall alerts go? They always come to this chat." + note,
        ("This chat only", (Channel.CHAT,)),
        *((f"Chat + {c.value}", (Channel.CHAT, c)) for c in extra),
        multi=bool(extra),
    )


def _parse_channels(text: str, ctx: WizardContext) -> Answers:
    values = tuple(c.value for c in ctx.channels)
    picked = _choices(text, values, values)
    return {"channels": tuple(Channel(p) for p in dict.fromkeys(["chat", *picked]))}


def _pick_channels(picked: list[Any], ctx: WizardContext) -> Answers:
    chosen = [c for group in picked for c in group if c in ctx.channels]
    return {"channels": tuple(dict.fromkeys([Channel.CHAT, *chosen]))}


def _pick_condition(picked: list[Any], ctx: WizardContext) -> Answers:
    return {"condition": Condition(picked[0])}


def _pick_price(picked: list[Any], ctx: WizardContext) -> Answers:
    low, high = picked[0]
    return {"min_price": low, "max_price": high, "cap_total": False}


def _typed(parse: Callable[[str, WizardContext], Answers]) -> Callable[..., Answers]:
    """A pick for a question whose options' values are answers it would accept typed."""
    return lambda picked, ctx: parse(str(picked[0]), ctx)


def _pick_location(picked: list[Any], ctx: WizardContext) -> Answers:
    place, radius = picked[0]
    return {"location": place, "radius_miles": radius}


STEPS: tuple[Step, ...] = (
    Step("name", "Name", _ask_name, lambda t, c: {"name": parse_name(t)}, lambda a: a["name"]),
    Step(
        "marketplaces",
        "Marketplaces",
        _ask_marketplaces,
        _parse_marketplaces,
        lambda a: ", ".join(a["marketplaces"]),
        _pick_marketplaces,
    ),
    Step(
        "keywords",
        "Keywords",
        _ask_keywords,
        lambda t, c: resellers.parse_keywords_and_sellers(t),
        resellers.show_keywords,
    ),
    Step(
        "exclude",
        "Excluding",
        _ask_exclude,
        lambda t, c: {"exclude": parse_exclude(t)},
        lambda a: ", ".join(a["exclude"]) or "nothing",
        lambda picked, c: {"exclude": ()},
    ),
    Step("price", "Price", _ask_price, _parse_price, _show_price, _pick_price),
    # resellers (issue 14): Buy It Now / auctions, and auctions ending soon (skipped for BIN)
    Step(
        "format",
        "Buying format",
        resellers.ask_format,
        resellers.parse_format,
        resellers.show_format,
        _typed(resellers.parse_format),
        in_summary=resellers.has_auctions,
    ),
    Step(
        "ending",
        "Auctions",
        resellers.ask_ending,
        resellers.parse_ending,
        resellers.show_ending,
        _typed(resellers.parse_ending),
        in_summary=resellers.wants_auctions,
    ),
    Step("location", "Where", _ask_location, _parse_location, _show_location, _pick_location),
    # After "Where?" and the marketplaces' own questions (the Craigslist site sets the default).
    Step(
        "currency",
        "Currency",
        lambda ctx: _ask_currency(ctx, {}),
        _parse_currency,
        lambda a: _currency_label(a.get("currency") or "GBP"),
        lambda picked, c: _parse_currency(str(picked[0]), c),
        prompt_after=_ask_currency,
    ),
    Step(
        "condition",
        "Condition",
        _ask_condition,
        _parse_condition,
        lambda a: a["condition"].value,
        _pick_condition,
    ),
    Step(
        "interval",
        "Checked",
        _ask_interval,
        _parse_interval,
        lambda a: "every " + describe_interval(a["interval_seconds"]),
        _pick_interval,
    ),
    Step(
        "channels",
        "Alerts to",
        _ask_channels,
        _parse_channels,
        lambda a: ", ".join(c.value for c in a["channels"]),
        _pick_channels,
    ),
    # resellers (issue 14): answered by default (left out), so asked only from Edit
    Step(
        "reposts",
        "Reposts",
        resellers.ask_reposts,
        resellers.parse_reposts,
        resellers.show_reposts,
        _typed(resellers.parse_reposts),
    ),
    Step(
        "saved_state",
        "Saved listings",
        resellers.ask_saved_state,
        resellers.parse_saved_state,
        resellers.show_saved_state,
        _typed(resellers.parse_saved_state),
    ),
    # is it a deal? (issue 16): all listings unless chosen (or a template's default)
    Step(
        "deals",
        "Deals only",
        deal_steps.ask_deals,
        deal_steps.parse_deals,
        deal_steps.show_deals,
        _typed(deal_steps.parse_deals),
    ),
    Step(
        "accessories",
        "Accessory words",
        deal_steps.ask_accessories,
        deal_steps.parse_accessories,
        deal_steps.show_accessories,
        _typed(deal_steps.parse_accessories),
    ),
)
STEP_BY_KEY = {step.key: step for step in STEPS}
