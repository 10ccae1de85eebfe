"""``GET|POST /unsubscribe/<token>``: stop alert emails in one click, without logging in.

The token is signed for one account and address (``core.signing``), so it cannot be made
for anybody else. POST is RFC 8058 one-click unsubscribe (the mail client's button).
"""

from __future__ import annotations

import logging

from aiohttp import web

from core.destinations import mask_email
from core.models import Account
from core.signing import KeyStore, account_for_unsubscribe
from web.keys import CLOCK
from web.pages import page

logger = logging.getLogger(__name__)

UNSUBSCRIBE_KEYS = web.AppKey("unsubscribe_keys", KeyStore)
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def unsubscribe(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    account = await account_for_unsubscribe(request.app[UNSUBSCRIBE_KEYS], token)
    if account is None or not account.email:
        return page(
            "Link not valid",
            "This unsubscribe link is not valid (any more). To stop alert emails, type "
            "/settings email off in the chat.",
            status=404,
            headers=_HEADERS,
        )
    now = request.app[CLOCK]()
    changed = await Account.filter(id=account.id, email_unsubscribed_at__isnull=True).update(
        email_unsubscribed_at=now
    )
    if changed:
        logger.info("account %s unsubscribed from alert emails", account.id)
    return page(
        "You're unsubscribed",
        f"No more alert emails will go to {mask_email(account.email)}. Chat alerts carry on. "
        "To get emails again, type /settings email followed by your address in the chat.",
        headers=_HEADERS,
    )


def add_unsubscribe_routes(app: web.Application, keys: KeyStore | None = None) -> None:
    app[UNSUBSCRIBE_KEYS] = keys or KeyStore()
    app.router.add_get("/unsubscribe/{token}", unsubscribe)
    app.router.add_post("/unsubscribe/{token}", unsubscribe)
