"""Cleaning text from outside (scraped fields, what users type) before it is stored.

Postgres refuses NUL in text and ``\\u0000`` in jsonb, and neither database driver can encode
a lone surrogate; SQLite stores a NUL that Postgres refuses, so the two would hold different
text. Cleaned once where outside text enters storage, both hold the same:

- control characters (Unicode category Cc: C0, DEL, C1) removed, except that multi-line
  fields keep tab and newline (CR LF and lone CR become newline); in single-line fields a
  whitespace control becomes a space, so words stay apart;
- lone surrogates and the bidi embedding/override/isolate controls (U+202A–U+202E,
  U+2066–U+2069, which can make a shown title read backwards) removed;
- normalised to NFC;
- cut to the column's ``max_length``, read from the Tortoise model itself (``limit``), so the
  models stay the one table of lengths.

JSON values are cleaned string by string, dictionary keys included.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import partial
from typing import Any

from tortoise import fields
from tortoise.models import Model

__all__ = ["clean_for", "clean_json", "clean_text", "cleaner", "limit"]

_REMOVED = [
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    *range(0xD800, 0xE000),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_SPACE_CONTROLS = [c for c in range(0xA0) if chr(c).isspace() and c != 0x20]
_SINGLE_LINE: dict[int, str | None] = dict.fromkeys(_REMOVED) | dict.fromkeys(_SPACE_CONTROLS, " ")
_MULTI_LINE: dict[int, str | None] = _SINGLE_LINE | {0x09: "\t", 0x0A: "\n", 0x0D: "\n"}


def clean_text(value: str, max_length: int | None = None, *, multiline: bool = False) -> str:
    """``value`` without what breaks storage or display, NFC, at most ``max_length`` long."""
    # The common case (plain ASCII, no control character) needs only the cut.
    if not (value.isascii() and value.isprintable()):
        if multiline:
            value = value.replace("\r\n", "\n")
        value = value.translate(_MULTI_LINE if multiline else _SINGLE_LINE)
        value = unicodedata.normalize("NFC", value)
    if max_length is None:
        return value
    while len(value) > max_length:
        # A cut can split what NFC composes; normalising again never makes it longer.
        value = unicodedata.normalize("NFC", value[:max_length])
    return value


def clean_json(value: Any) -> Any:
    """A JSON value with every string in it cleaned (single-line), keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def _max_length(model: type[Model], name: str) -> int | None:
    length = getattr(model._meta.fields_map[name], "max_length", None)
    return length if isinstance(length, int) else None


def limit(model: type[Model], name: str) -> int:
    """The ``max_length`` of ``model``'s char column ``name``: the one table of lengths."""
    length = _max_length(model, name)
    if length is None:
        raise ValueError(f"{model.__name__}.{name} has no max_length")
    return length


def cleaner(model: type[Model], name: str) -> Callable[[Any], Any]:
    """How column ``name`` of ``model`` is cleaned: JSON string by string, a text column
    multi-line, a char column single-line and cut to its length."""
    field = model._meta.fields_map[name]
    if isinstance(field, fields.JSONField):
        return clean_json
    if isinstance(field, fields.TextField):
        return partial(clean_text, multiline=True)
    return partial(clean_text, max_length=_max_length(model, name))


def clean_for(model: type[Model], name: str, value: Any) -> Any:
    """``value`` cleaned as column ``name`` of ``model`` stores it (``None`` stays ``None``)."""
    return None if value is None else cleaner(model, name)(value)
