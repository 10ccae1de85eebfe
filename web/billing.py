"""Stripe's webhook and the billing pages (/billing/success, /billing/cancel, /pricing).

The webhook verifies the raw body's Stripe-Signature (v1 scheme, 5-minute tolerance) before
anything is parsed: a bad, missing or stale signature is 400 and changes nothing. A verified
event goes to core.billing, which applies it once; an event Stripe cannot be asked about
right now is 503 so Stripe retries it.

The pages are small templates whose every substituted value is HTML-escaped (``_render``
escapes; templates take no raw values), load nothing from elsewhere, and read on a phone.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from string import Template

from aiohttp import web

from billing.stripe_gateway import SignatureError, verify_event
from core.billing import BillingService
from core.errors import PaymentError
from core.tiers import TIER_ORDER, TierTable, describe_interval
from web.pages import SECURITY_HEADERS

# No favicon request (an empty data: icon), nothing else loaded, never framed.
HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
}

logger = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300


@dataclass(slots=True)
class WebhookStats:
    signature_failures: int = 0


BILLING = web.AppKey("billing", BillingService)
SECRET = web.AppKey("stripe_webhook_secret", str)
STATS = web.AppKey("stripe_webhook_stats", WebhookStats)
TIERS = web.AppKey("tiers", TierTable)
BOT_LINK = web.AppKey[Callable[[], str]]("bot_link")

_STYLE = (
    "body{font-family:system-ui,Arial,Helvetica,sans-serif;max-width:40em;margin:2em auto;"
    "padding:0 1em;color:#1f2328;line-height:1.5}h1{font-size:1.5em}"
    ".plan{border:1px solid #d0d7de;border-radius:8px;padding:.2em 1em;margin:1em 0}"
    "h2 small{font-weight:normal;color:#57606a}"
    "a.button{display:inline-block;padding:.7em 1.4em;border-radius:6px;"
    "background:#1a7f37;color:#fff;text-decoration:none}"
)
_PAGE = Template(
    "<!doctype html><html lang=en><head><meta charset=utf-8>"
    '<meta name=viewport content="width=device-width,initial-scale=1">'
    '<link rel=icon href="data:,"><title>$title</title><style>$style</style></head>'
    "<body>$body</body></html>"
)


def _render(template: str, **values: str) -> str:
    """``template`` with each ``$name`` replaced by its value, HTML-escaped."""
    return Template(template).substitute({k: html.escape(v) for k, v in values.items()})


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = _PAGE.substitute(title=html.escape(title), style=_STYLE, body=body)
    return web.Response(text=text, status=status, content_type="text/html", headers=HEADERS)


async def _webhook(request: web.Request) -> web.Response:
    payload = await request.read()  # the raw bytes: the signature covers exactly these
    try:
        event = verify_event(
            payload, request.headers.get("Stripe-Signature"), request.app[SECRET], TOLERANCE_SECONDS
        )
    except SignatureError as exc:
        request.app[STATS].signature_failures += 1
        metrics = request.app[BILLING].metrics
        if metrics is not None:
            metrics.billing_signature_failures.inc()
        logger.warning("Stripe webhook refused: %s", exc)
        return web.json_response({"error": "bad signature"}, status=400)
    try:
        outcome = await request.app[BILLING].apply(event)
    except PaymentError as exc:
        logger.warning("Stripe event %s not applied yet: %s", event.id, exc)
        return web.json_response({"error": "try again"}, status=503)
    logger.info("Stripe event %s (%s): %s", event.id, event.type, outcome)
    return web.json_response({"received": True, "outcome": outcome})


async def _success(request: web.Request) -> web.Response:
    session_id = request.query.get("session_id", "")
    found = None
    if session_id.startswith("cs_"):
        try:
            found = await request.app[BILLING].checkout_result(session_id)
        except PaymentError:
            found = None
    back = request.app[BOT_LINK]()
    link = (
        _render('<p><a class=button id=back href="$url">Back to the chat</a></p>', url=back)
        if back
        else ""
    )
    if found is None:
        body = (
            "<h1>Thanks!</h1><p>We couldn't find that checkout. If you paid, your plan "
            "changes in a moment: send /plan in the chat.</p>"
        )
        return _page("Payment", body + link, 404)
    session, tier = found
    if session.status == "complete" and tier.value != "free":
        body = _render(
            "<h1 id=plan>You're on $plan.</h1>"
            "<p>Thanks for subscribing. Your new limits are on now.</p>",
            plan=tier.value.title(),
        )
    else:
        body = (
            "<h1 id=plan>Payment received.</h1><p>Your plan changes within a few seconds: "
            "send /plan in the chat to see it.</p>"
        )
    return _page("You're subscribed", body + link)


async def _cancel(request: web.Request) -> web.Response:
    back = request.app[BOT_LINK]()
    link = (
        _render('<p><a class=button href="$url">Back to the chat</a></p>', url=back) if back else ""
    )
    body = (
        "<h1>No payment made</h1><p>Nothing was charged and your plan is as it was. "
        "Send /upgrade in the chat whenever you like.</p>"
    )
    return _page("Checkout cancelled", body + link)


async def _pricing(request: web.Request) -> web.Response:
    tiers = request.app[TIERS]
    cards = []
    for tier in TIER_ORDER:
        lim = tiers.for_tier(tier)
        cards.append(
            _render(
                "<section class=plan><h2>$name <small>$price</small></h2><ul>"
                "<li>$searches searches</li><li>$markets marketplace(s) per search</li>"
                "<li>Checks as often as every $fastest</li><li>$sms SMS alerts a month</li>"
                "</ul></section>",
                name=tier.value.title(),
                price="free" if not lim.monthly_price_gbp else f"£{lim.monthly_price_gbp}/month",
                searches="Unlimited" if lim.max_searches is None else str(lim.max_searches),
                markets=str(lim.max_marketplaces_per_search),
                fastest=describe_interval(lim.fastest_interval_seconds),
                sms=str(lim.monthly_sms),
            )
        )
    body = (
        "<h1>Plans</h1>"
        + "".join(cards)
        + "<p>Upgrade from the chat with /upgrade; cancel any time.</p>"
    )
    return _page("Pricing", body)


async def _gauges(app: web.Application) -> None:
    await app[BILLING].refresh_gauges()


def add_billing_routes(
    app: web.Application,
    service: BillingService,
    *,
    webhook_secret: str,
    tiers: TierTable,
    bot_link: Callable[[], str] = lambda: "",
    stats: WebhookStats | None = None,
) -> None:
    app[BILLING] = service
    app[SECRET] = webhook_secret
    app[STATS] = stats or WebhookStats()
    app[TIERS] = tiers
    app[BOT_LINK] = bot_link  # the chat to go back to ("" until a bot is connected)
    app.on_startup.append(_gauges)
    app.router.add_post("/stripe/webhook", _webhook)
    app.router.add_get("/billing/success", _success)
    app.router.add_get("/billing/cancel", _cancel)
    app.router.add_get("/pricing", _pricing)
