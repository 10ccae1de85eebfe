"""Wizard steps of issue 14 (resellers): buying format, auctions ending soon, reposts, and
the parsing of followed sellers (``seller:NAME`` in the keywords) and of a price cap on
the total with postage. One step per question, in the pattern of bot.conversation.steps.

The rules behind them are core's (core.matching, core.reposts); these only ask and show.
"""

from __future__ import annotations

import re
from typing import Any

from bot.conversation.answers import BadAnswer, parse_keyword_answer
from bot.conversation.replies import Reply, ask
from core.criteria import MAX_SELLERS
from core.enums import BuyingFormat
from core.fetchkeys import AUCTIONS_UPSTREAM
from core.numbers import parse_int

Answers = dict[str, Any]

_SELLER = re.compile(r"(?<!\S)seller:(\S+)", re.I)
_TOTAL = re.compile(r"\s*(?:total|with postage|incl(?:uding|\.)? postage)\s*$", re.I)
_FORMAT_WORDS = {
    "buy it now": BuyingFormat.BUY_IT_NOW,
    "bin": BuyingFormat.BUY_IT_NOW,
    "buy_it_now": BuyingFormat.BUY_IT_NOW,
    "auctions": BuyingFormat.AUCTION,
    "auction": BuyingFormat.AUCTION,
    "both": BuyingFormat.BOTH,
}
FORMAT_LABELS = {
    BuyingFormat.BUY_IT_NOW: "Buy It Now only",
    BuyingFormat.AUCTION: "auctions only",
    BuyingFormat.BOTH: "Buy It Now and auctions",
}


# keywords with followed sellers ------------------------------------------------------------
def parse_keywords_and_sellers(text: str) -> Answers:
    """``ps5 seller:gamez_uk`` → keywords ``ps5``, sellers ``("gamez_uk",)``; sellers alone
    are a search of everything they list."""
    sellers = tuple(dict.fromkeys(s.strip(",") for s in _SELLER.findall(text) if s.strip(",")))
    rest = " ".join(_SELLER.sub(" ", text).split())
    if len(sellers) > MAX_SELLERS:
        raise BadAnswer(f"Follow at most {MAX_SELLERS} sellers in one search.")
    if sellers and not rest:
        return {"keywords": "", "sellers": sellers}
    return {"keywords": parse_keyword_answer(rest), "sellers": sellers}


def show_keywords(answers: Answers) -> str:
    sellers = answers.get("sellers") or ()
    words = answers["keywords"] or "anything"
    return f"{words} · from {', '.join(sellers)}" if sellers else words


# price on the total --------------------------------------------------------------------------
def split_total(text: str) -> tuple[str, bool]:
    """'150 total' / '150 with postage' → ('150', True): the cap is on price + postage."""
    stripped = _TOTAL.sub("", text)
    return stripped, stripped != text


# buying format -------------------------------------------------------------------------------
def format_unless_auctions(marketplaces: list[str]) -> Answers:
    """Where none of the marketplaces has auctions, the format question is not asked: Buy It
    Now (the default for new searches). It stays changeable from Edit."""
    if any(m in AUCTIONS_UPSTREAM for m in marketplaces):
        return {}
    return {"buying_format": BuyingFormat.BUY_IT_NOW, "ending_within_hours": None}


def has_auctions(answers: Answers) -> bool:
    """Whether a chosen marketplace sells by auction (else the format is not worth a line)."""
    return not format_unless_auctions(list(answers.get("marketplaces") or ()))


def wants_auctions(answers: Answers) -> bool:
    return has_auctions(answers) and answers.get("buying_format") is not BuyingFormat.BUY_IT_NOW


def ask_format(ctx: object) -> Reply:
    return ask(
        "Buy It Now, auctions or both? (Classified ads are Buy It Now; auctions are eBay's.)",
        ("Buy It Now", "bin"),
        ("Auctions", "auctions"),
        ("Both", "both"),
    )


def parse_format(text: str, ctx: object) -> Answers:
    found = _FORMAT_WORDS.get(" ".join(text.strip().lower().split()))
    if found is None:
        raise BadAnswer("Choose Buy It Now, auctions or both.")
    answers: Answers = {"buying_format": found}
    if found is BuyingFormat.BUY_IT_NOW:
        answers["ending_within_hours"] = None  # no auctions: the next question is skipped
    return answers


def show_format(answers: Answers) -> str:
    return FORMAT_LABELS[answers.get("buying_format", BuyingFormat.BOTH)]


# auctions ending within N hours ----------------------------------------------------------------
def ask_ending(ctx: object) -> Reply:
    return ask(
        "Auctions: alert me as they are listed, or only when one is about to end? Type a "
        "number of hours (alerted once, when it enters that window) — or any time.",
        ("Any time", "any"),
        ("Ending within 6 h", "6"),
        ("Ending within 24 h", "24"),
    )


def parse_ending(text: str, ctx: object) -> Answers:
    answer = text.strip().lower().removesuffix("h").removesuffix("hours").strip()
    if answer in {"any", "any time", "anytime", "none", "no"}:
        return {"ending_within_hours": None}
    hours = parse_int(answer)
    if hours is None or not 0 < hours <= 720:
        raise BadAnswer("Type a number of hours between 1 and 720, or any.")
    return {"ending_within_hours": hours}


def show_ending(answers: Answers) -> str:
    hours = answers.get("ending_within_hours")
    if answers.get("buying_format") is BuyingFormat.BUY_IT_NOW:
        return "no auctions"
    return "any time" if hours is None else f"when ending within {hours} h"


# reposts -----------------------------------------------------------------------------------------
def ask_reposts(ctx: object) -> Reply:
    return ask(
        "A repost is a listing its seller deleted and listed again (same seller and title as "
        "one I alerted in the last 14 days). Leave them out (a cheaper repost still comes, as "
        "a price drop), or show them marked as reposts?",
        ("Leave out", "hide"),
        ("Show, marked", "show"),
    )


def parse_reposts(text: str, ctx: object) -> Answers:
    answer = text.strip().lower()
    if answer in {"hide", "leave out", "no"}:
        return {"show_reposts": False}
    if answer in {"show", "show, marked", "yes"}:
        return {"show_reposts": True}
    raise BadAnswer("Choose leave out or show.")


def show_reposts(answers: Answers) -> str:
    return "shown, marked" if answers.get("show_reposts") else "left out"


# saved listings that sell ---------------------------------------------------------------------
def ask_saved_state(ctx: object) -> Reply:
    return ask(
        "Shall I tell you when a listing you saved from this search sells, ends or disappears? "
        "(/saved shows it either way.)",
        ("Tell me", "yes"),
        ("No", "no"),
    )


def parse_saved_state(text: str, ctx: object) -> Answers:
    answer = text.strip().lower()
    if answer in {"yes", "tell me", "y"}:
        return {"tell_saved_state": True}
    if answer in {"no", "n"}:
        return {"tell_saved_state": False}
    raise BadAnswer("Choose tell me or no.")


def show_saved_state(answers: Answers) -> str:
    return "told when sold or gone" if answers.get("tell_saved_state") else "shown in /saved"
