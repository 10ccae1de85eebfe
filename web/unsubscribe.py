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

from core.destinations import mask_email
from core.models import Account
from core.signing import KeyStore, LinkState, UnsubscribeLink, check_unsubscribe
from web.keys import CLOCK
from web.pages import Form, page

logger = logging.getLogger(__name__)

UNSUBSCRIBE_KEYS = web.AppKey("unsubscribe_keys", KeyStore)
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"
_STOP_IN_CHAT = "To stop alert emails, type /settings email off in the chat."


async def _link(request: web.Request) -> UnsubscribeLink:
    return await check_unsubscribe(request.app[UNSUBSCRIBE_KEYS], request.match_info["token"])


def _refused(link: UnsubscribeLink) -> web.Response:
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
    link = await _link(request)
    account = link.account
    if link.state is not LinkState.CURRENT or account is None or not account.email:
        return _refused(link)
    if account.email_unsubscribed_at is not None:
        return _done(account.email)
    return page(
        "Stop alert emails?",
        [
            f"Alert emails for your searches go to {mask_email(account.email)}.",
            "Press the button to stop them. Chat alerts carry on.",
        ],
        form=Form(request.path, "Unsubscribe", {ONE_CLICK_FIELD: ONE_CLICK_VALUE}),
        headers=_HEADERS,
    )


async def unsubscribe(request: web.Request) -> web.Response:
    """POST: the confirmation page's button, or RFC 8058 one-click."""
    link = await _link(request)
    account = link.account
    if link.state is not LinkState.CURRENT or account is None or not account.email:
        return _refused(link)
    form = await request.post()
    if form.get(ONE_CLICK_FIELD) != ONE_CLICK_VALUE:
        # Not the button nor a mail client: ask instead of acting.
        return await confirm(request)
    changed = await Account.filter(
        id=account.id,
        email_link_version=account.email_link_version,
        email_unsubscribed_at__isnull=True,
    ).update(email_unsubscribed_at=request.app[CLOCK]())
    if changed:
        logger.info("account %s unsubscribed from alert emails", account.id)
    return _done(account.email)


def add_unsubscribe_routes(app: web.Application, keys: KeyStore | None = None) -> None:
    app[UNSUBSCRIBE_KEYS] = keys or KeyStore()
    # HEAD goes to `confirm` too (aiohttp's default for GET routes): it never acts.
    app.router.add_get("/unsubscribe/{token}", confirm)
    app.router.add_post("/unsubscribe/{token}", unsubscribe)
