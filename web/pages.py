"""Tiny HTML pages for people who follow a link from an alert (no templates needed)."""

from __future__ import annotations

import html
from collections.abc import Mapping

from aiohttp import web


def page(
    title: str, message: str, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)} · Marketplace Monitor</title></head>"
        "<body style='font-family:Arial,sans-serif;max-width:36em;margin:3em auto;padding:0 1em'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
    )
    return web.Response(
        text=body, status=status, content_type="text/html", headers=dict(headers or {})
    )
