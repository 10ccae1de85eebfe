"""Tiny HTML pages for people who follow a link from an alert (no templates needed).

Everything put into a page is escaped here, so a handler cannot forget to. Pages load
nothing and may not be framed (the unsubscribe button must not be clickjacked).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiohttp import web

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;max-width:36em;margin:3em auto;"
    "padding:0 1em;color:#1f2328;line-height:1.5}"
    "h1{font-size:1.6em;margin-bottom:.6em}"
    "button{font-size:1em;padding:.6em 1.4em;border:0;border-radius:6px;"
    "background:#c62828;color:#fff;cursor:pointer}"
    "code{display:block;padding:.6em .8em;background:#f3f4f6;border-radius:6px;"
    "overflow-wrap:anywhere;font-size:.95em}"
)


@dataclass(frozen=True, slots=True)
class Form:
    """A one-button form that POSTs to ``action`` with ``fields`` as hidden inputs."""

    action: str
    button: str
    fields: Mapping[str, str] = field(default_factory=dict)


def page(
    title: str,
    message: str | Sequence[str],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    form: Form | None = None,
    code: str | None = None,
) -> web.Response:
    """A page of paragraphs, an optional block of text shown verbatim (``code``; never a
    link) and an optional one-button form."""
    paragraphs = [message] if isinstance(message, str) else list(message)
    body = "".join(f"<p>{html.escape(text)}</p>" for text in paragraphs)
    if code is not None:
        body += f"<p><code>{html.escape(code)}</code></p>"
    if form is not None:
        body += _form(form)
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta name='robots' content='noindex'>"
        f"<title>{html.escape(title)} · Marketplace Monitor</title>"
        f"<style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(
        text=document,
        status=status,
        content_type="text/html",
        headers={**SECURITY_HEADERS, **(headers or {})},
    )


def _form(form: Form) -> str:
    hidden = "".join(
        f"<input type='hidden' name='{html.escape(name)}' value='{html.escape(value)}'>"
        for name, value in form.fields.items()
    )
    return (
        f"<form method='post' action='{html.escape(form.action)}'>{hidden}"
        f"<button type='submit'>{html.escape(form.button)}</button></form>"
    )
