"""What email and SMS alerts say: plain text + HTML email, and a one-segment text message.

Listing text comes from marketplaces and is untrusted: it is escaped in HTML, and only
http(s) URLs become links or images.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from core.delivery import EXTRA_CLICK_TOKEN, EXTRA_UNSUBSCRIBE_TOKEN
from core.enums import AlertKind
from core.formatting import (
    auction_text,
    converted_text,
    price_text,
    price_with_postage,
    verdict_text,
    whole_price_text,
)
from core.ports import AlertMessage
from core.verdict import VerdictKind

PRODUCT = "Marketplace Monitor"

# GSM 03.38: the basic set costs one septet, the extension set two (escape + char).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")
GSM_SEGMENT = 160
UCS2_SEGMENT = 70
# Typographic characters marketplaces love, and their GSM-7 look-alikes.
_PLAIN = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "·": "-",
        "•": "-",
        "…": "...",
        "\u00a0": " ",
        "\t": " ",
    }
)


@dataclass(frozen=True, slots=True)
class Links:
    """Absolute links into our web app (``PUBLIC_URL``)."""

    public_url: str

    def _base(self) -> str:
        return self.public_url.rstrip("/")

    def click(self, token: str) -> str:
        return f"{self._base()}/r/{token}"

    def unsubscribe(self, token: str) -> str:
        return f"{self._base()}/unsubscribe/{token}"

    def listing(self, alert: AlertMessage) -> str:
        """The tracked click-through link when the alert has a token, else the listing URL."""
        token = alert.extra.get(EXTRA_CLICK_TOKEN)
        return self.click(token) if token else alert.listing.url


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None = None


def _safe_url(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("https://", "http://")) else None


def _price_line(alert: AlertMessage) -> str:
    listing = alert.listing
    price = price_with_postage(listing.price, listing)  # "£210.00 + £4.50 postage"
    if alert.kind is AlertKind.PRICE_DROP and alert.old_price is not None:
        price = f"{price} (was {price_text(alert.old_price, listing.currency)})"
    converted = converted_text(alert.converted) if listing.price else ""
    return f"{price} {converted}" if converted else price


def _where(alert: AlertMessage) -> str:
    return " · ".join(p for p in (alert.listing.location, alert.listing.marketplace) if p)


def _auction(alert: AlertMessage) -> str:
    return auction_text(alert.listing, None)  # an email is read later: the end as a date


def _deal(alert: AlertMessage) -> str:
    """Is it a deal? (issue 16): the verdict line, '' without a verdict."""
    return verdict_text(alert.verdict)


_LEADS = {AlertKind.PRICE_DROP: "Price drop", AlertKind.REPOST: "Repost (listed again)"}


def alert_email(alert: AlertMessage, links: Links) -> EmailContent:
    listing = alert.listing
    lead = _LEADS.get(alert.kind, "New match")
    subject = f"{lead}: {_one_line(listing.title)[:120]} — {_price_line(alert)}"
    link = links.listing(alert)
    token = alert.extra.get(EXTRA_UNSUBSCRIBE_TOKEN)
    unsubscribe = links.unsubscribe(token) if token else None
    text = "\n".join(
        [
            f"{lead} for your search “{alert.search_name}”",
            "",
            listing.title,
            _price_line(alert),
            *([_deal(alert)] if _deal(alert) else []),
            *([_auction(alert)] if _auction(alert) else []),
            _where(alert),
            "",
            f"See it: {link}",
            "",
            "—",
            _footer_text(alert.search_name, unsubscribe),
        ]
    )
    return EmailContent(subject, text, _alert_html(alert, lead, link, unsubscribe), unsubscribe)


def _footer_text(search_name: str, unsubscribe: str | None) -> str:
    why = f"You get this because your search “{search_name}” sends alerts by email."
    stop = f" Stop these emails (one click, no login): {unsubscribe}" if unsubscribe else ""
    return why + stop + " Or change your alert channels in the chat's settings."


def _alert_html(alert: AlertMessage, lead: str, link: str, unsubscribe: str | None) -> str:
    listing = alert.listing
    e = html.escape
    image = _safe_url(listing.image_url)
    photo = (
        f'<p><a href="{e(link)}"><img src="{e(image)}" alt="" width="480" '
        f'style="max-width:100%;height:auto;border-radius:6px"></a></p>'
        if image
        else ""
    )
    stop = (
        f' <a href="{e(unsubscribe)}">Stop these emails</a> (one click, no login).'
        if unsubscribe
        else ""
    )
    return (
        '<!doctype html><html><body style="font-family:Arial,sans-serif;color:#222">'
        f'<p style="color:#666">{e(lead)} for your search “{e(alert.search_name)}”</p>'
        f"{photo}"
        f'<h2 style="margin:0 0 8px"><a href="{e(link)}">{e(listing.title)}</a></h2>'
        f'<p style="font-size:20px;margin:0 0 4px"><b>{e(_price_line(alert))}</b></p>'
        f'<p style="margin:0 0 4px">{e(_deal(alert))}</p>'
        f'<p style="margin:0 0 4px">{e(_auction(alert))}</p>'
        f'<p style="color:#666;margin:0 0 16px">{e(_where(alert))}</p>'
        f'<p><a href="{e(link)}" style="background:#1a73e8;color:#fff;padding:10px 16px;'
        'border-radius:4px;text-decoration:none">See the listing</a></p>'
        '<hr><p style="font-size:12px;color:#888">'
        f"You get this because your search “{e(alert.search_name)}” sends alerts by email."
        f"{stop} Or change your alert channels in the chat's settings.</p>"
        "</body></html>"
    )


def code_email(code: str, ttl_minutes: int) -> EmailContent:
    subject = f"{code} is your {PRODUCT} code"
    text = (
        f"Your {PRODUCT} code is {code}.\n\n"
        f"Type it in your chat with the bot to get alerts by email. "
        f"It expires in {ttl_minutes} minutes.\n\n"
        "If you didn't ask for this, ignore this email: nothing will be sent to you."
    )
    body = html.escape(text).replace("\n", "<br>")
    return EmailContent(subject, text, f"<!doctype html><html><body>{body}</body></html>")


# SMS ------------------------------------------------------------------------------------
def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_PLAIN)).strip()


def is_gsm(text: str) -> bool:
    return all(c in GSM_BASIC or c in GSM_EXTENDED for c in text)


def sms_length(text: str) -> int:
    """Characters as the network counts them: septets for GSM-7, UTF-16 units otherwise."""
    if is_gsm(text):
        return sum(2 if c in GSM_EXTENDED else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def fits_one_segment(text: str) -> bool:
    return sms_length(text) <= (GSM_SEGMENT if is_gsm(text) else UCS2_SEGMENT)


def alert_sms(alert: AlertMessage, links: Links) -> str:
    """Price, title, short link; the title is shortened to keep it to one segment."""
    head = _one_line(_price_line(alert))
    if alert.kind is AlertKind.PRICE_DROP:
        head = f"Price drop {head}"
    elif alert.kind is AlertKind.REPOST:
        head = f"Repost {head}"
    link = links.listing(alert)
    title = _one_line(alert.listing.title)
    deal = _sms_deal(alert)
    if deal and fits_one_segment(f"{head} {deal} {title[:20]} {link}"):
        head = f"{head} {deal}"  # the verdict when it still leaves room for a short title
    text = f"{head} {title} {link}"
    # Shorten from the end: cutting a non-GSM character may also switch to the larger budget.
    for cut in range(len(title) - 1, -1, -1):
        if fits_one_segment(text):
            break
        short = title[:cut].rstrip()
        text = f"{head} {short}... {link}" if short else f"{head} {link}"
    return text


def _sms_deal(alert: AlertMessage) -> str:
    """'24% under usual £275' / 'about usual price' / '12% above usual £275' ('' without)."""
    verdict = alert.verdict
    if verdict is None:
        return ""
    usual = whole_price_text(verdict.usual, verdict.currency)
    if verdict.kind is VerdictKind.UNDER:
        return f"({-verdict.percent}% under usual {usual})"
    if verdict.kind is VerdictKind.ABOVE:
        return f"({verdict.percent}% above usual {usual})"
    return f"(about usual price {usual})"


def code_sms(code: str, ttl_minutes: int) -> str:
    return (
        f"Your {PRODUCT} code is {code}. Type it in your chat with the bot. "
        f"It expires in {ttl_minutes} min."
    )
