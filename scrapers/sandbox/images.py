"""Listing photos for the sandbox: a coloured card drawn with Pillow, cached per listing."""

from __future__ import annotations

import io
import textwrap
from collections import OrderedDict

from PIL import Image, ImageDraw, ImageFont

from scrapers.sandbox.catalogue import category_by_key
from scrapers.sandbox.listing import SandboxListing

__all__ = ["ImageCache", "render_card"]

SIZE = (320, 240)
_DEFAULT_COLOUR = (84, 110, 122)
_WHITE = (255, 255, 255)
_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> _Font:
    try:
        return ImageFont.load_default(size=size)
    except (ImportError, OSError, TypeError):  # Pillow built without FreeType: bitmap font
        return ImageFont.load_default()


def render_card(listing: SandboxListing) -> bytes:
    """A 320×240 PNG: category colour, its initial in a circle, the short title and price."""
    category = category_by_key(listing.category)
    colour = category.colour if category else _DEFAULT_COLOUR
    image = Image.new("RGB", SIZE, colour)
    draw = ImageDraw.Draw(image)
    initial = (category.label if category else listing.category or listing.title)[:1].upper()
    draw.ellipse((20, 20, 84, 84), fill=_WHITE)
    draw.text((52, 52), initial or "?", fill=colour, font=_font(40), anchor="mm")
    short = listing.title.split(" – ")[0]
    lines = textwrap.wrap(short, width=24)[:3]
    draw.multiline_text((20, 104), "\n".join(lines), fill=_WHITE, font=_font(20), spacing=6)
    # Pillow's bundled font has no "£": spell the currency out.
    draw.text((20, 204), f"{listing.price} {listing.currency}", fill=_WHITE, font=_font(22))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class ImageCache:
    """Rendered PNG bytes by listing id, least recently used dropped first (bounded memory).

    Keyed by id and price, so a price drop shows on the next fetch.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def png(self, listing: SandboxListing) -> bytes:
        key = (listing.id, str(listing.price))
        cached = self._entries.get(key)
        if cached is not None:
            self._entries.move_to_end(key)
            return cached
        data = render_card(listing)
        self._entries[key] = data
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return data
