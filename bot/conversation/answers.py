"""Parsing what people type in the wizard. Bad input raises ``BadAnswer`` saying what works."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.criteria import MAX_RADIUS_MILES
from core.errors import InvalidCriteria
from core.matching import parse_keywords
from core.searches import MAX_NAME_LENGTH

NONE_WORDS = {"", "none", "no", "skip", "-", "any", "anywhere", "nothing"}
PRICE_HELP = (
    "Price must be a number like 150 or a range like 100-250 "
    "(100+ means at least 100; 'any' means no limit)."
)
LOCATION_HELP = (
    "Type a town or postcode with an optional radius in miles, like 'Leeds 10', or 'anywhere'."
)
MAX_PRICE = Decimal("1000000")


class BadAnswer(ValueError):
    """The answer cannot be used; the message tells the user what is accepted."""


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise BadAnswer("Give the search a name, like 'Cheap PS5'.")
    if len(name) > MAX_NAME_LENGTH:
        raise BadAnswer(f"That name is too long: {MAX_NAME_LENGTH} characters at most.")
    return name


def parse_keyword_answer(text: str) -> str:
    expression = " ".join(text.split())
    try:
        parse_keywords(expression)
    except InvalidCriteria as exc:
        raise BadAnswer(f'{exc} For example: ps5 OR xbox "series x"') from exc
    return expression


def parse_exclude(text: str) -> tuple[str, ...]:
    if text.strip().lower() in NONE_WORDS:
        return ()
    words = tuple(w.strip() for w in re.split(r"[,;\n]", text) if w.strip())
    if any(len(w) > 60 for w in words):
        raise BadAnswer("Each excluded word or phrase can be 60 characters at most.")
    return words


def _amount(text: str) -> Decimal:
    cleaned = text.strip().lstrip("£$€").replace(",", "")
    if cleaned.lower().endswith("k"):
        cleaned = str(Decimal(cleaned[:-1] or "x") * 1000)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise BadAnswer(PRICE_HELP) from exc
    if not value.is_finite() or value < 0 or value > MAX_PRICE:
        raise BadAnswer(PRICE_HELP)
    return value.quantize(Decimal("0.01"))


def parse_price(text: str) -> tuple[Decimal | None, Decimal | None]:
    """'150' → (None, 150); '100-250' → (100, 250); '100+' → (100, None); 'any' → (None, None)."""
    answer = text.strip().lower().replace(" to ", "-").replace("–", "-")
    if answer in NONE_WORDS:
        return None, None
    if answer.endswith("+"):
        return _amount(answer[:-1]), None
    if "-" in answer.strip("-"):
        low_text, high_text = answer.split("-", 1)
        low, high = _amount(low_text), _amount(high_text)
        if low > high:
            raise BadAnswer(f"The range starts above where it ends. {PRICE_HELP}")
        return low, high
    return None, _amount(answer)


def parse_location(text: str) -> tuple[str, int | None]:
    """'Leeds 10' → ('Leeds', 10); 'M1 1AE' → ('M1 1AE', None); 'anywhere' → ('', None)."""
    answer = " ".join(text.split())
    if answer.lower() in NONE_WORDS:
        return "", None
    match = re.fullmatch(r"(.+?)[ ,]+(\d+)\s*(?:mi|miles?)?", answer, flags=re.IGNORECASE)
    if match and not _looks_like_postcode(answer):
        place, radius = match.group(1).strip(" ,"), int(match.group(2))
        if not 1 <= radius <= MAX_RADIUS_MILES:
            raise BadAnswer(f"The radius must be 1 to {MAX_RADIUS_MILES} miles. {LOCATION_HELP}")
        return place, radius
    if len(answer) > 100 or not re.search(r"[a-z]", answer, flags=re.IGNORECASE):
        raise BadAnswer(LOCATION_HELP)
    return answer, None


def _looks_like_postcode(text: str) -> bool:
    # "SW1A 1AA", "M1 1AE": the trailing digit group belongs to the postcode, not a radius.
    return re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", text.upper()) is not None
