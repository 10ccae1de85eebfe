"""One log filter for every logger: secrets, addresses, phone numbers and codes never leave.

The filter sits on the root handlers (``bot.logs.configure_logging``), so every record that is
written passes it, whichever library made it (ours, python-telegram-bot, httpx, aiohttp, the
SDKs): its message with the arguments filled in, its traceback and its stack are rewritten
before any formatter, text or JSON, sees them.

What is masked, in this order (secrets before shapes, so a secret is named by its setting):
- every configured secret value (``Redactor(secrets)``, built from Settings by bot/app.py), with
  its URL-quoted, JSON- and repr-escaped forms; a URL's password also on its own;
- bot tokens (``123456:AA…``), Discord interaction tokens in URLs, Stripe ``sk_``/``rk_``
  keys, ``whsec_`` signing secrets, SendGrid ``SG.`` keys, personal API tokens (``mmk_…``),
  ``Bearer``/``Basic`` credentials,
  ``password=``/``token=``-like values and the password in a URL's userinfo;
- verification codes: the argument of ``/verify`` (its first word with a digit and the digit
  groups after it), a ``code`` field's value, a 6-digit run within 48 characters of the word
  "code" (our e-mail and SMS texts), and a message text that is nothing but a number of 6+
  digits (a code typed on its own, or a phone number typed without its ``+``). Codes are
  masked whole, never partly shown;
- e-mail addresses (``a•••@example.com``, as the chat shows them) and phone numbers in
  international form (``+44 7911 123456``), national form with a trunk 0 (``07911 123456``,
  ``(020) 7946 0958``) and North-American form (``(555) 123-4567``).
Plain digit runs without those marks (ids, timestamps, prices) are left alone.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Callable, Mapping
from urllib.parse import quote, quote_plus, urlsplit

from core.destinations import mask_email, mask_phone

HIDDEN = "•••"
# Shorter configured values would mask ordinary words; they are too weak to protect anyway.
MIN_SECRET_LENGTH = 4

_Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

_KEYS = (
    r"password|passwd|pwd|secret|secret_token|client_secret|token|auth_token|access_token|"
    r"refresh_token|api_key|apikey|authorization"
)
_CREDENTIAL_RULES: list[_Rule] = [
    (re.compile(r"(?<![0-9])\d{5,16}(?::|%3A)[A-Za-z0-9_-]{30,}"), "<telegram-token>"),
    # A Discord interaction's token in its callback / followup URL (answers it for 15 min).
    (re.compile(r"(/(?:webhooks|interactions)/\d{15,22}/)[A-Za-z0-9._-]{20,}"), r"\1" + HIDDEN),
    (re.compile(r"(?<![A-Za-z0-9])((?:sk|rk)_(?:live|test)_)[A-Za-z0-9]{6,}"), r"\1" + HIDDEN),
    # Personal API tokens (core.api_tokens): the prefix stays, so a log says which kind it was.
    (re.compile(r"(?<![A-Za-z0-9])(mmk_)[A-Za-z0-9_-]{6,}"), r"\1" + HIDDEN),
    (re.compile(r"(?<![A-Za-z0-9])(whsec_)[A-Za-z0-9_+/=-]{6,}"), r"\1" + HIDDEN),
    (re.compile(r"(?<![A-Za-z0-9])(SG\.)[\w-]{6,}(?:\.[\w-]{6,})?", re.ASCII), r"\1" + HIDDEN),
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1\2" + HIDDEN),
    (
        re.compile(
            rf"(?i)(\b(?:{_KEYS})\b[\"']?\s*[:=]\s*[\"']?)(?!(?:bearer|basic)\s|<)[^\s\"',;&}})]+"
        ),
        r"\1" + HIDDEN,
    ),
    # scheme://user:password@host — the password only; the user helps to debug.
    (
        re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*://[^\s:/?#@'\"]*:)[^\s/?#@'\"]+@"),
        r"\1" + HIDDEN + "@",
    ),
]

_CODE_DIGITS = 6
# /verify's argument: its first word with a digit in it, and any digit groups after it.
_VERIFY = re.compile(r"(?i)(/verify(?:@\w+)?[^\S\n]+)\S*?\d(?:[\d-]|[^\S\n]\d)*")
_CODE_FIELD = re.compile(
    r"(?i)(\b(?:code|otp|pin|verification_code)\b[\"']?\s*[:=]\s*[\"']?)\d{4,8}(?!\d)"
)
_SIX_DIGITS = re.compile(r"(?<!\w)\d{6}(?!\w)")
_CODE_WORD = re.compile(r"(?i)code")
_CODE_WINDOW = 48
_BARE_NUMBER = re.compile(r"(?i)(\b(?:text|caption)\b[\"']?\s*[:=]\s*)([\"'])([\d\s().+-]*)\2")

_LOCAL = r"[\w.!#$&*+?^`{|}~-]"
# Matches start only where a run of address characters starts: linear time on long runs.
_EMAIL = re.compile(rf"(?<!{_LOCAL}){_LOCAL}+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[^\W\d_][\w-]*")
_SEP = r"(?:[\s.-]|\s?\(|\)\s?)?"
_PHONE_RULES = [
    re.compile(rf"(?<![\w+])\+{_SEP}\d(?:{_SEP}\d){{6,14}}(?![\d])"),
    re.compile(rf"(?<![\w+])00[1-9](?:{_SEP}\d){{6,13}}(?![\d])"),
    re.compile(r"(?<![\w+.])\(?0\d{1,4}\)?(?:[\s.-]?\d){6,9}(?![\d])"),
    re.compile(r"(?<![\w+])\(?[2-9]\d{2}\)?[\s.-]{1,2}\d{3}[\s.-]\d{4}(?![\d])"),
]


class Redactor:
    """Rewrites text so it can be logged: see the module's docstring for what it masks."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        variants: dict[str, str] = {}
        for name, value in (secrets or {}).items():
            for form in _forms(value):
                if len(form) >= MIN_SECRET_LENGTH:
                    variants.setdefault(form, f"<{name}>")
        # Longest first: a secret that contains another is masked whole.
        self._secrets = sorted(variants.items(), key=lambda item: -len(item[0]))

    def redact(self, text: str) -> str:
        for value, mask in self._secrets:
            if value in text:
                text = text.replace(value, mask)
        for pattern, replacement in _CREDENTIAL_RULES:
            text = pattern.sub(replacement, text)
        text = _mask_codes(text)
        text = _EMAIL.sub(_email, text)
        for pattern in _PHONE_RULES:
            text = pattern.sub(_phone, text)
        return text


def _forms(value: str) -> set[str]:
    """``value`` as it may appear in a log: raw, URL-quoted, JSON- and repr-escaped."""
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    forms.add(repr(value)[1:-1])
    return forms


def _mask_codes(text: str) -> str:
    text = _VERIFY.sub(r"\1" + HIDDEN, text)
    text = _CODE_FIELD.sub(r"\1" + HIDDEN, text)
    text = _BARE_NUMBER.sub(_bare_number, text)

    def near_code(match: re.Match[str]) -> str:
        start, end = match.span()
        window = text[max(0, start - _CODE_WINDOW) : end + _CODE_WINDOW]
        return HIDDEN if _CODE_WORD.search(window) else match.group()

    return _SIX_DIGITS.sub(near_code, text)


def _bare_number(match: re.Match[str]) -> str:
    value = match.group(3)
    if sum(c.isdigit() for c in value) < _CODE_DIGITS:
        return match.group()
    return f"{match.group(1)}{match.group(2)}{HIDDEN}{match.group(2)}"


def _email(match: re.Match[str]) -> str:
    return mask_email(match.group().replace("%40", "@"))


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    digits = "".join(c for c in found if c.isdigit())
    return mask_phone(("+" if found.lstrip("(").startswith("+") else "") + digits)


def url_password(url: str) -> str | None:
    """The password in ``url``'s userinfo, if it has one."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


class RedactingFilter(logging.Filter):
    """A handler filter: every record leaves with its message and traceback redacted."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        redact = self.redactor.redact
        try:
            message = record.getMessage()
        except Exception:  # bad %-arguments: show what was there, still redacted
            message = f"{record.msg!r} (unformattable arguments {record.args!r})"
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or "".join(traceback.format_exception(*record.exc_info))
            # Formatters print exc_text when there is no exc_info left to format again.
            record.exc_text, record.exc_info = redact(text.rstrip("\n")), None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


__all__ = ["HIDDEN", "RedactingFilter", "Redactor", "url_password"]
