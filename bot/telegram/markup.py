"""Telegram HTML and its limits: escaping outside text, cutting to fit.

Telegram counts lengths in UTF-16 code units (an emoji is two). We keep the HTML *source*
within the limit, which also keeps the visible text within it, whatever the server counts.
"""

from __future__ import annotations

import html

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ELLIPSIS = "…"


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def escape_fit(text: str, limit: int) -> str:
    """``text`` escaped for HTML, cut (with …) so the escaped form is at most ``limit`` long."""
    escaped = escape(text)
    if tg_len(escaped) <= limit:
        return escaped
    # The longest prefix whose escaped form, plus the ellipsis, fits.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if tg_len(escape(text[:middle].rstrip())) + 1 <= limit:
            low = middle
        else:
            high = middle - 1
    return escape(text[:low].rstrip()) + ELLIPSIS


def plain_fit(text: str, limit: int) -> str:
    """Plain text (a button's pop-up answer) cut with … to ``limit`` UTF-16 units; unescaped,
    since Telegram shows it as it is."""
    if tg_len(text) <= limit:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if tg_len(text[:middle].rstrip()) + 1 <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def label_fit(label: str) -> str:
    return label if len(label) <= 60 else label[:59] + ELLIPSIS
