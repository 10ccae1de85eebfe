"""``/unsubscribe/<token>``: stop alert emails without logging in.

GET (and HEAD) only show a confirmation page with a button: mail scanners and link
previews fetch links, and must not unsubscribe anybody. POST acts: the page's button, and
RFC 8058 one-click from a mail client (body ``List-Unsubscribe=One-Click``, which the
button sends too). The token is signed for one account, address and link version
(``core.signing``): nobody can make one for another account, and links from before the
address was verified again are refused.
"""

from __future__ import annotations

import logging

from aiohttp import web

from core import unsubscribe as email_links
from core.destinations import mask_email
from core.signing import KeyStore, LinkState
from core.unsubscribe import EmailLink
from web.keys import CLOCK
from web.pages import Form, page

logger = logging.getLogger(__name__)

UNSUBSCRIBE_KEYS = web.AppKey("unsubscribe_keys", KeyStore)
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
_STOP_IN_CHAT = "To stop alert emails, type /settings email off in the chat."


def _refused(link: EmailLink) -> web.Response:
    if link.state is LinkState.STALE:
        return page(
            "This link has expired",
            [
                "This unsubscribe link comes from an email sent before your address was "
                "verified again, so it no longer works.",
                f"Use the link in a newer alert email. {_STOP_IN_CHAT}",
            ],
            status=410,
            headers=_HEADERS,
        )
    return page(
        "Link not valid",
        ["This unsubscribe link is not valid (any more).", _STOP_IN_CHAT],
        status=404,
        headers=_HEADERS,
    )


def _done(email: str) -> web.Response:
    return page(
        "You're unsubscribed",
        [
            f"No more alert emails will go to {mask_email(email)}. Chat alerts carry on.",
            "To get emails again, type /settings email followed by your address in the chat.",
        ],
        headers=_HEADERS,
    )


async def confirm(request: web.Request) -> web.Response:
    """GET and HEAD: ask, never act."""
    link = await email_links.look_up(request.app[UNSUBSCRIBE_KEYS], request.match_info["token"])
    if not link.usable or link.email is None:
        return _refused(link)
    if link.unsubscribed:
        return _done(link.email)
    return page(
        "Stop alert emails?",
        [
            f"Alert emails for your searches go to {mask_email(link.email)}.",
            "Press the button to stop them. Chat alerts carry on.",
        ],
        form=Form(request.path, "Unsubscribe", {ONE_CLICK_FIELD: ONE_CLICK_VALUE}),
        headers=_HEADERS,
    )


async def unsubscribe(request: web.Request) -> web.Response:
    """POST: the confirmation page's button, or RFC 8058 one-click."""
    form = await request.post()
    if form.get(ONE_CLICK_FIELD) != ONE_CLICK_VALUE:
        # Not the button nor a mail client: ask instead of acting.
        return await confirm(request)
    keys, token = request.app[UNSUBSCRIBE_KEYS], request.match_info["token"]
    link = await email_links.unsubscribe(keys, token, request.app[CLOCK]())
    if not link.usable or link.email is None:
        return _refused(link)
    return _done(link.email)


def add_unsubscribe_routes(app: web.Application, keys: KeyStore | None = None) -> None:
    app[UNSUBSCRIBE_KEYS] = keys or KeyStore()
    # HEAD goes to `confirm` too (aiohttp's default for GET routes): it never acts.
    app.router.add_get("/unsubscribe/{token}", confirm)
    app.router.add_post("/unsubscribe/{token}", unsubscribe)
