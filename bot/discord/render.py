"""How the neutral conversation looks in Discord: a Reply or an alert → content, embeds and
components, within Discord's limits; and the one parser of our custom_ids.

Every custom_id is ``mm:`` (our namespace in a shared custom_id space: another bot's or a
future feature's ids never parse as ours) followed by the button's typed ``Action.encode()``:
``mm:s:12:p`` (pause search 12), ``mm:a:77:s`` (an alert's Save), ``mm:q:2:c:1a2b3c4d`` (the
third option of the open question ``1a2b3c4d``). A multi-select question is one select menu
whose custom_id is its Done action (``mm:q:0:d:<ref>``) and whose values are the options'
indexes. Ids in a parsed custom_id are only claims: the router checks them against the
presser's rights, and ``ChatSession`` refuses a question reference that is not the open one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord
from discord.utils import escape_markdown, escape_mentions

from bot.conversation.actions import QUESTION_ACTS, Act, Action, decode
from bot.conversation.replies import Bold, Link, Reply, Span
from core.enums import AlertKind, MatchStatus
from core.formatting import price_text, verdict_text
from core.ports import AlertMessage

PREFIX = "mm:"
MODAL_NEWSEARCH = PREFIX + "m:newsearch"
# Discord's limits (https://discord.com/developers/docs/resources/message).
CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
ROWS = 5
PER_ROW = 5
SELECT_OPTIONS = 25
OPTION_LIMIT = 100
ELLIPSIS = "…"


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS


def escape(text: str) -> str:
    """Outside text shown as itself: no markdown, no @everyone / role / user pings."""
    return escape_mentions(escape_markdown(text))


def fit(text: str, limit: int) -> str:
    """Escape then cut, never leaving half an escape (a trailing backslash) behind."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    return cut(escaped, limit).replace("\\" + ELLIPSIS, ELLIPSIS)


def _safe_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) and len(url) <= 512 else ""


def markdown(spans: tuple[Span, ...]) -> str:
    parts: list[str] = []
    for span in spans:
        if isinstance(span, Bold):
            parts.append(f"**{escape(span.text)}**")
        elif isinstance(span, Link):
            label = escape(span.text).replace("]", "\\]")
            url = _safe_url(span.url)
            link = f"[{label}](<{url}>)" if url else label
            parts.append(f"**{link}**" if span.bold else link)
        else:
            parts.append(escape(span))
    return "".join(parts)


def reply_text(reply: Reply) -> str:
    text = markdown(reply.rich) if reply.rich else escape(reply.text)
    return cut(text, CONTENT_LIMIT) or "\u200b"


# --- custom_ids ----------------------------------------------------------------------------


def action_custom_id(action: Action) -> str:
    return PREFIX + action.encode()


def parse_custom_id(custom_id: str | None) -> Action | None:
    """What a pressed custom_id stands for; None when it is not ours or is malformed."""
    data = custom_id or ""
    if not data.startswith(PREFIX) or len(data) > CUSTOM_ID_LIMIT:
        return None
    return decode(data[len(PREFIX) :])


# --- replies -------------------------------------------------------------------------------


def _rows(reply: Reply) -> list[list[int]]:
    """Button indexes laid out in rows: a button's ``row`` groups it, else five to a row."""
    rows: list[list[int]] = []
    by_row: dict[int, list[int]] = {}
    for index, button in enumerate(reply.buttons):
        if button.row is not None:
            if button.row not in by_row:
                by_row[button.row] = []
                rows.append(by_row[button.row])
            by_row[button.row].append(index)
        elif rows and len(rows[-1]) < PER_ROW and rows[-1] not in by_row.values():
            rows[-1].append(index)
        else:
            rows.append([index])
    flat: list[list[int]] = []
    for row in rows:  # a row over five wraps
        flat += [row[i : i + PER_ROW] for i in range(0, len(row), PER_ROW)]
    if len(flat) > ROWS:  # more rows than Discord shows (long options, one a row): pack them
        every = list(range(len(reply.buttons)))
        flat = [every[i : i + PER_ROW] for i in range(0, len(every), PER_ROW)]
    return flat[:ROWS]


def components(reply: Reply) -> list[dict[str, Any]]:
    """The action rows for ``reply``'s buttons, as Discord's component JSON."""
    if reply.multi_select:
        return _select(reply)
    rows = []
    for row in _rows(reply):
        items = []
        for index in row:
            button = reply.buttons[index]
            label = cut(button.label, LABEL_LIMIT) or "?"
            if button.url and _safe_url(button.url):
                items.append({"type": 2, "style": 5, "label": label, "url": button.url})
            elif button.action is not None:
                # An answer to the question: primary (blurple); a screen's action: grey.
                style = 1 if button.action.act in QUESTION_ACTS else 2
                custom_id = action_custom_id(button.action)
                items.append({"type": 2, "style": style, "label": label, "custom_id": custom_id})
        if items:
            rows.append({"type": 1, "components": items})
    return rows


def _select(reply: Reply) -> list[dict[str, Any]]:
    """A multi-select question as one select menu: picking is answering (no Done button).
    Its custom_id is the question's Done action; each option's value is its index."""
    done = next(
        (b.action for b in reply.buttons if b.action and b.action.act is Act.CHOICES_DONE), None
    )
    choices = [b for b in reply.buttons if b.action and b.action.act is Act.CHOOSE]
    if done is None or not choices:
        return []
    options = [
        {"label": cut(b.label, OPTION_LIMIT) or "?", "value": str(b.action.id)}
        for b in choices[:SELECT_OPTIONS]
        if b.action is not None
    ]
    select = {
        "type": 3,
        "custom_id": action_custom_id(done),
        "options": options,
        "min_values": 1,
        "max_values": len(options),
        "placeholder": "Pick one or more",
    }
    return [{"type": 1, "components": [select]}]


class RawView(discord.ui.View):
    """A View whose components are given as Discord JSON (what ``components`` builds).

    discord.py sends a View's ``to_components()``; the items here are only rendered, never
    dispatched: presses reach the DynamicItems registered on the client."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__(timeout=None)
        self._rows = rows

    def to_components(self) -> list[dict[str, Any]]:
        return self._rows

    def is_dispatchable(self) -> bool:
        return False  # nothing to store: the client's DynamicItems route every press

    def is_finished(self) -> bool:
        return True


# --- alerts --------------------------------------------------------------------------------

SAVE_LABEL = "⭐ Save"
HIDE_LABEL = "🙈 Hide"


def alert_embed(alert: AlertMessage, now: datetime) -> dict[str, Any]:
    """Title linked to the listing, price, place, marketplace, relative time, search name
    in the footer, the image; every outside string escaped and cut to Discord's limits."""
    listing = alert.listing
    price = price_text(listing.price, listing.currency)
    if alert.kind is AlertKind.PRICE_DROP:
        old = price_text(alert.old_price, listing.currency)
        head, price_value = "📉 Price drop", f"~~{escape(old)}~~ → **{escape(price)}**"
    else:
        head, price_value = "🆕 New match", f"**{escape(price)}**"
    embed: dict[str, Any] = {
        "type": "rich",
        "title": cut(f"{listing.title or '(no title)'}", EMBED_TITLE_LIMIT),
        "description": cut(head, EMBED_DESCRIPTION_LIMIT),
        "fields": [
            {"name": "Price", "value": cut(price_value, EMBED_FIELD_VALUE_LIMIT), "inline": True}
        ],
        "footer": {"text": cut(f"🔎 {alert.search_name}", EMBED_FOOTER_LIMIT)},
        "color": 0x2B8A3E if alert.kind is AlertKind.NEW_LISTING else 0xE8590C,
    }
    url = _safe_url(listing.url)
    if url:
        embed["url"] = url
    if listing.location:
        embed["fields"].append(
            {"name": "Where", "value": fit(listing.location, 200), "inline": True}
        )
    deal = verdict_text(alert.verdict)  # is it a deal? (issue 16)
    if deal:
        embed["fields"].append({"name": "Usual price", "value": fit(deal, 200), "inline": False})
    embed["fields"].append(
        {"name": "Marketplace", "value": fit(listing.marketplace or "?", 100), "inline": True}
    )
    posted = listing.posted_at or now
    embed["fields"].append(
        {"name": "Listed", "value": f"<t:{int(posted.timestamp())}:R>", "inline": True}
    )
    image = _safe_url(listing.image_url or "")
    if image:
        embed["image"] = {"url": image}
    return embed


def alert_components(
    match_id: int, url: str, status: MatchStatus, verdict: bool = False
) -> list[dict[str, Any]]:
    """Open (a link), Save / Unsave, Hide / Unhide; custom_ids carry the match id."""
    items: list[dict[str, Any]] = []
    url = _safe_url(url)
    if url:
        items.append({"type": 2, "style": 5, "label": "Open ↗", "url": url})
    if status is MatchStatus.SAVED:
        keep = ("Saved ✓ · Unsave", Act.UNSAVE)
    else:
        keep = (SAVE_LABEL, Act.SAVE)
    hide = (
        ("Hidden · Unhide", Act.UNHIDE) if status is MatchStatus.HIDDEN else (HIDE_LABEL, Act.HIDE)
    )
    for label, act in (keep, hide):
        custom_id = action_custom_id(Action(act, match_id))
        items.append({"type": 2, "style": 2, "label": label, "custom_id": custom_id})
    if verdict:  # is it a deal? (issue 16): only on an alert that carries a verdict
        custom_id = action_custom_id(Action(Act.NOT_A_DEAL, match_id))
        items.append({"type": 2, "style": 2, "label": "👎 Not a deal", "custom_id": custom_id})
    return [{"type": 1, "components": items}]


# A burst (several alerts in one message, issue 12): Discord allows 10 embeds a message and
# 6000 characters across them, and 5 rows of 5 buttons. Each embed is cut shorter so ten
# always fit, and is numbered in its footer; its Save / Hide buttons carry the same number
# (the title is the link, so no Open button), two alerts to a row.
BURST_LIMIT = 10
_BURST_CUTS = {"title": 120, "Where": 80, "Marketplace": 40, "footer": 60}


def burst_embed(embed: dict[str, Any], number: int) -> dict[str, Any]:
    embed = dict(embed)
    embed["title"] = cut(embed["title"], _BURST_CUTS["title"])
    embed["fields"] = [
        {**f, "value": cut(f["value"], _BURST_CUTS[f["name"]])} if f["name"] in _BURST_CUTS else f
        for f in embed["fields"]
    ]
    footer = f"{number} · {embed['footer']['text']}"
    embed["footer"] = {"text": cut(footer, _BURST_CUTS["footer"])}
    return embed


def burst_components(alerts: list[tuple[int, MatchStatus]]) -> list[dict[str, Any]]:
    """Numbered Save / Hide buttons for (match id, status) of each embed, in order.

    Each id is the alert's own persistent custom_id (``mm:a:<match>:<verb>``, routed by the
    client's AlertButton after a restart too), so every embed's buttons act on its listing.
    A match twice in one burst (a new-listing and a price-drop alert due together) keeps the
    buttons of its first number: Discord refuses a message whose custom_ids repeat (50035
    COMPONENT_CUSTOM_ID_DUPLICATED), which would fail every alert of the burst."""
    buttons: list[dict[str, Any]] = []
    seen: set[int] = set()
    for number, (match_id, status) in enumerate(alerts, start=1):
        if match_id in seen:
            continue
        seen.add(match_id)
        saved = status is MatchStatus.SAVED
        keep = (f"✓ Unsave {number}", Act.UNSAVE) if saved else (f"⭐ Save {number}", Act.SAVE)
        hidden = status is MatchStatus.HIDDEN
        hide = (f"👀 Unhide {number}", Act.UNHIDE) if hidden else (f"🙈 Hide {number}", Act.HIDE)
        for label, act in (keep, hide):
            custom_id = action_custom_id(Action(act, match_id))
            buttons.append({"type": 2, "style": 2, "label": label, "custom_id": custom_id})
    return [
        {"type": 1, "components": buttons[start : start + 4]} for start in range(0, len(buttons), 4)
    ]


BURST_ACTS = frozenset({Act.SAVE, Act.UNSAVE, Act.HIDE, Act.UNHIDE})


def burst_matches(custom_ids: list[str]) -> list[int]:
    """The match ids of a burst message's buttons, in embed order (read back from the
    message pressed, so the buttons can be drawn again with one alert's new state)."""
    found: list[int] = []
    for custom_id in custom_ids:
        action = parse_custom_id(custom_id)
        if action is not None and action.act in BURST_ACTS and action.id not in found:
            found.append(action.id)
    return found[:BURST_LIMIT]


def notice_text(text: str) -> str:
    return cut(escape(text), CONTENT_LIMIT)
