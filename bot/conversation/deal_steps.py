"""Wizard step of issue 16 (is it a deal?): "deals only", asked from Edit (a new search
alerts every listing unless its template says otherwise). The rule is core's
(core.prices.judge_intents); this only asks and shows."""

from __future__ import annotations

from typing import Any

from bot.conversation.answers import BadAnswer
from bot.conversation.replies import Reply, ask
from core.numbers import parse_int

Answers = dict[str, Any]
MAX_ACCESSORY_WORDS = 20
_OFF = {"off", "no", "all", "every", "every listing", "all listings", "none", "0"}


def ask_deals(ctx: object) -> Reply:
    return ask(
        "Deals only? I can alert you only when a listing is at least N % under the usual "
        "asking price of what you search for (from the listings I see over 30 days). Until I "
        "have seen enough listings to know the usual price, every listing is alerted (I'll "
        "say so once). Type a percentage, or all listings.",
        ("All listings", "off"),
        ("15 % under", "15"),
        ("25 % under", "25"),
        ("40 % under", "40"),
    )


def parse_deals(text: str, ctx: object) -> Answers:
    answer = text.strip().lower().removesuffix("%").removesuffix("under").strip()
    answer = answer.removesuffix("%").strip()
    if answer in _OFF:
        return {"deals_only_percent": None}
    percent = parse_int(answer)
    if percent is None or not 0 < percent < 100:
        raise BadAnswer("Type a percentage between 1 and 99, or all listings.")
    return {"deals_only_percent": percent}


def show_deals(answers: Answers) -> str:
    base = answers.get("_base")  # a template's threshold, until changed
    percent = answers.get("deals_only_percent", getattr(base, "deals_only_percent", None))
    return "all listings" if percent is None else f"only {percent} % or more under the usual"


def ask_accessories(ctx: object) -> Reply:
    return ask(
        'Accessory words: a listing whose title has one of them ("case", "box only", '
        '"strap only") is an accessory or a part, not the item: it does not count towards '
        "the usual price and gets no verdict. Type them separated by commas, or none. (Parts "
        'and faulty words such as "for parts" and "spares or repair" always count.)',
        ("None", "none"),
    )


def parse_accessories(text: str, ctx: object) -> Answers:
    if text.strip().lower() in {"none", "no", "-"}:
        return {"accessory_words": ()}
    words = tuple(dict.fromkeys(w.strip() for w in text.split(",") if w.strip()))
    if len(words) > MAX_ACCESSORY_WORDS or any(len(w) > 40 for w in words):
        raise BadAnswer(f"Up to {MAX_ACCESSORY_WORDS} words or phrases, of 40 letters at most.")
    return {"accessory_words": words}


def show_accessories(answers: Answers) -> str:
    base = answers.get("_base")
    words = answers.get("accessory_words", getattr(base, "accessory_words", ()))
    return ", ".join(words) or "none (only the parts and faulty words)"
