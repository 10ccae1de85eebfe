"""Parsing what people type in the wizard. Bad input raises ``BadAnswer`` saying what works."""

from __future__ import annotations

import re
from decimal import Decimal

from core.criteria import MAX_RADIUS_MILES
from core.errors import InvalidCriteria
from core.matching import parse_keywords
from core.searches import MAX_NAME_LENGTH

# An empty or whitespace-only answer is not among these: it is asked again, never "any".
NONE_WORDS = {"none", "no", "skip", "-", "any", "anywhere", "nothing"}
PRICE_HELP = (
    "Price must be a number like 150 or a range like 100-250 "
    "(100+ means at least 100; 'any' means no limit)."
)
LOCATION_HELP = (
    "Type a town or postcode with an optional radius in miles, like 'Leeds 10', or 'anywhere'."
)
MAX_PRICE = Decimal("1000000")
# ASCII digits only (Decimal() also reads "١٢٣" and "1e999999"), an optional "k" for thousands.
_AMOUNT = re.compile(r"(?P<number>[0-9]{1,9}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})(?P<k>k?)")


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
    _blank(text, "Type the words to rule out, or none.")
    if text.strip().lower() in NONE_WORDS:
        return ()
    words = tuple(w.strip() for w in re.split(r"[,;\n]", text) if w.strip())
    if any(len(w) > 60 for w in words):
        raise BadAnswer("Each excluded word or phrase can be 60 characters at most.")
    return words


def _amount(text: str) -> Decimal:
    cleaned = text.strip().lstrip("£$€").replace(",", "").strip().lower()
    found = _AMOUNT.fullmatch(cleaned)
    if found is None:
        raise BadAnswer(PRICE_HELP)
    value = Decimal(found.group("number")) * (1000 if found.group("k") else 1)
    if value > MAX_PRICE:
        raise BadAnswer(f"Prices go up to £{MAX_PRICE:,}. {PRICE_HELP}")
    return value.quantize(Decimal("0.01"))


def _blank(text: str, what: str) -> None:
    if not text.strip():
        raise BadAnswer(f"The answer was empty. {what}")


def parse_price(text: str) -> tuple[Decimal | None, Decimal | None]:
    """'150' → (None, 150); '100-250' → (100, 250); '100+' → (100, None); 'any' → (None, None)."""
    _blank(text, PRICE_HELP)
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
    _blank(text, LOCATION_HELP)
    answer = " ".join(text.split())
    if answer.lower() in NONE_WORDS:
        return "", None
    match = re.fullmatch(r"(.+?)[ ,]+([0-9]{1,6})\s*(?:mi|miles?)?", answer, flags=re.IGNORECASE)
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
