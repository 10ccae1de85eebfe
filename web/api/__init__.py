"""The JSON API for power users (issue 17): ``/api/v1/…`` with personal bearer tokens, its
OpenAPI document at ``/api/v1/openapi.json`` and a browsable page at ``/api/docs``."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from core.searches import SearchService
from web.api.endpoints import ENDPOINTS
from web.api.framework import (
    API_CONTEXT,
    ApiContext,
    ApiError,
    ApiOptions,
    Endpoint,
    error_response,
    wrap,
)
from web.api.openapi import PREFIX, build_openapi
from web.pages import SECURITY_HEADERS

OPENAPI_PATH = PREFIX + "/openapi.json"
DOCS_PATH = "/api/docs"
OPENAPI = web.AppKey("openapi", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_ID_PARAM = re.compile(r"\{(\w+_id)\}")


def _route_path(path: str) -> str:
    """aiohttp's form: ``*_id`` parameters are digits, so ``/searches/abc`` is a 404."""
    return PREFIX + _ID_PARAM.sub(r"{\1:\\d+}", path)


def add_api_routes(
    app: web.Application,
    searches: SearchService,
    options: ApiOptions | None = None,
    *,
    public_url: str = "",
    endpoints: Sequence[Endpoint] = ENDPOINTS,
) -> None:
    """Mount the API on ``app`` (needs CLOCK on it, as build_web_app sets)."""
    app[API_CONTEXT] = ApiContext(searches, options or ApiOptions())
    # Built once: a route without a schema fails here, at start-up, not at the first request.
    app[OPENAPI] = json.dumps(build_openapi(endpoints, public_url.rstrip("/")), indent=1)
    app.router.add_get(OPENAPI_PATH, _openapi)
    app.router.add_get(DOCS_PATH, _docs_page(endpoints))
    for endpoint in endpoints:
        app.router.add_route(endpoint.method, _route_path(endpoint.path), wrap(endpoint))
    app.router.add_route("*", PREFIX + "/{tail:.*}", _not_an_endpoint(endpoints))


async def _openapi(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[OPENAPI],
        content_type="application/json",
        headers={"Access-Control-Allow-Origin": "*"},
    )


def _not_an_endpoint(endpoints: Sequence[Endpoint]) -> Handler:
    patterns = [
        re.compile(
            "^" + PREFIX + re.sub(r"\{\w+\}", r"[^/]+", _ID_PARAM.sub(r"\\d+", e.path)) + "$"
        )
        for e in endpoints
    ]

    async def answer(request: web.Request) -> web.StreamResponse:
        if any(p.match(request.path) for p in patterns):
            allowed = sorted(
                {
                    e.method
                    for e, p in zip(endpoints, patterns, strict=True)
                    if p.match(request.path)
                }
            )
            return error_response(
                ApiError(
                    405,
                    "method_not_allowed",
                    f"{request.method} is not allowed here; use {', '.join(allowed)}.",
                    {"Allow": ", ".join(allowed)},
                )
            )
        return error_response(ApiError(404, "not_found", "There is no such API endpoint."))

    return answer


_STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;"
    "color:#1f2328;line-height:1.5}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;"
    "text-transform:capitalize}table{border-collapse:collapse;width:100%;table-layout:fixed}"
    "td{padding:.35em .6em;border-bottom:1px solid #e5e7eb;vertical-align:baseline}"
    "td:nth-child(2){width:50%}"
    "code{font-size:.95em}.m{font-weight:bold;font-family:monospace;width:5em}"
    ".GET{color:#1a7f37}.POST{color:#0969da}.PATCH{color:#9a6700}.DELETE{color:#cf222e}"
    ".w{font-size:.8em;background:#fff8c5;border-radius:4px;padding:0 .4em}"
)


def _docs_page(endpoints: Sequence[Endpoint]) -> Handler:
    """A plain page: nothing loaded from anywhere, no script; the endpoints by resource."""
    sections: dict[str, list[str]] = {}
    for e in endpoints:
        scope = " <span class='w'>write token</span>" if e.write else ""
        sections.setdefault(e.tag, []).append(
            f"<tr class='endpoint'><td class='m {e.method}'>{e.method}</td>"
            f"<td><code>{html.escape(PREFIX + e.path)}</code>{scope}</td>"
            f"<td>{html.escape(e.summary)}</td></tr>"
        )
    body = "".join(
        f"<h2>{html.escape(tag)}</h2><table>{''.join(rows)}</table>"
        for tag, rows in sections.items()
    )
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<title>API · Marketplace Monitor</title>"
        f"<style>{_STYLE}</style></head><body><h1>Marketplace Monitor API</h1>"
        "<p>Make a token with <code>/token create NAME [read|write] [days]</code> in a private "
        "chat with the bot, then send it as <code>Authorization: Bearer &lt;token&gt;</code>. "
        'Errors are <code>{"error": {"code", "message"}}</code>. The whole contract: '
        f"<a href='{OPENAPI_PATH}'>openapi.json</a> (OpenAPI 3.1).</p>{body}</body></html>"
    )

    async def docs(request: web.Request) -> web.Response:
        return web.Response(text=document, content_type="text/html", headers=dict(SECURITY_HEADERS))

    return docs


__all__ = ["DOCS_PATH", "OPENAPI_PATH", "ApiOptions", "add_api_routes"]
