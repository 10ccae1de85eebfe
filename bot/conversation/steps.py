"""The /newsearch wizard's steps: what each asks, how it reads the answer, how it is shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.conversation import reseller_steps as resellers
from bot.conversation.answers import (
    BadAnswer,
    parse_exclude,
    parse_location,
    parse_name,
    parse_price,
)
from bot.conversation.replies import Reply, ask
from core.enums import Channel, Condition, Tier
from core.formatting import price_text
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

    @property
    def max_marketplaces(self) -> int:
        return self.tiers.for_tier(self.tier).max_marketplaces_per_search


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    label: str
    prompt: Callable[[WizardContext], Reply]
    parse: Callable[[str, WizardContext], Answers]
    show: Callable[[Answers], str]


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
    picked = _choices(text, ctx.marketplaces, ctx.marketplaces)
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
        ("None", "none"),
    )


# price ------------------------------------------------------------------------------------
def _ask_price(ctx: WizardContext) -> Reply:
    return ask(
        "What price, in £? A maximum like 150, a range like 100-250, a minimum like 100+, or "
        "any. Add 'total' (150 total) to cap the price with postage.",
        ("Any price", "any"),
    )


def _parse_price(text: str, ctx: WizardContext) -> Answers:
    text, total = resellers.split_total(text)  # "150 total": the cap is on price + postage
    low, high = parse_price(text)
    return {"min_price": low, "max_price": high, "cap_total": total}


def _show_price(answers: Answers) -> str:
    low: Decimal | None = answers.get("min_price")
    high: Decimal | None = answers.get("max_price")
    total = " with postage" if answers.get("cap_total") else ""
    if low is None and high is None:
        return "any"
    if low is None:
        return f"up to {price_text(high, 'GBP')}{total}"
    if high is None:
        return f"from {price_text(low, 'GBP')}{total}"
    return f"{price_text(low, 'GBP')} – {price_text(high, 'GBP')}{total}"


# location ---------------------------------------------------------------------------------
def _ask_location(ctx: WizardContext) -> Reply:
    return ask(
        "Where? A town or postcode and an optional radius in miles, like 'Leeds 10' — or anywhere.",
        ("Anywhere", "anywhere"),
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
    return ask("New or used?", ("Any", "any"), ("Used", "used"), ("New", "new"))


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
        *((f"Every {describe_interval(s)}", str(s)) for s in choices),
    )


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
        ("This chat only", "chat"),
        *((f"Chat + {c.value}", f"chat,{c.value}") for c in extra),
        multi=bool(extra),
    )


def _parse_channels(text: str, ctx: WizardContext) -> Answers:
    values = tuple(c.value for c in ctx.channels)
    picked = _choices(text, values, values)
    return {"channels": tuple(Channel(p) for p in dict.fromkeys(["chat", *picked]))}


STEPS: tuple[Step, ...] = (
    Step("name", "Name", _ask_name, lambda t, c: {"name": parse_name(t)}, lambda a: a["name"]),
    Step(
        "marketplaces",
        "Marketplaces",
        _ask_marketplaces,
        _parse_marketplaces,
        lambda a: ", ".join(a["marketplaces"]),
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
    ),
    Step("price", "Price", _ask_price, _parse_price, _show_price),
    # resellers (issue 14): Buy It Now / auctions, and auctions ending soon (skipped for BIN)
    Step(
        "format",
        "Buying format",
        resellers.ask_format,
        resellers.parse_format,
        resellers.show_format,
    ),
    Step(
        "ending",
        "Auctions",
        resellers.ask_ending,
        resellers.parse_ending,
        resellers.show_ending,
    ),
    Step("location", "Where", _ask_location, _parse_location, _show_location),
    Step(
        "condition", "Condition", _ask_condition, _parse_condition, lambda a: a["condition"].value
    ),
    Step(
        "interval",
        "Checked",
        _ask_interval,
        _parse_interval,
        lambda a: "every " + describe_interval(a["interval_seconds"]),
    ),
    Step(
        "channels",
        "Alerts to",
        _ask_channels,
        _parse_channels,
        lambda a: ", ".join(c.value for c in a["channels"]),
    ),
    # resellers (issue 14): answered by default (left out), so asked only from Edit
    Step(
        "reposts",
        "Reposts",
        resellers.ask_reposts,
        resellers.parse_reposts,
        resellers.show_reposts,
    ),
    Step(
        "saved_state",
        "Saved listings",
        resellers.ask_saved_state,
        resellers.parse_saved_state,
        resellers.show_saved_state,
    ),
)
STEP_BY_KEY = {step.key: step for step in STEPS}
