"""Is it a deal? (issue 16) in chat: /prices and the "Not a deal" button of verdict alerts.

The estimate and the rights are core's (core.prices, core.verdict); this renders the
figures, and the chart (bot.conversation.charts) drawn off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.conversation.actions import Act, Action
from bot.conversation.charts import chart_png
from bot.conversation.registry import PRIVATE, Where, command, on_action
from bot.conversation.replies import Document, Reply, say
from core import prices
from core.formatting import whole_price_text
from core.numbers import parse_int
from core.prices import PriceView
from core.verdict import MAX_SPREAD, MIN_LISTINGS, WINDOW_DAYS

if TYPE_CHECKING:
    from bot.conversation.pressed import Pressed
    from bot.conversation.session import ChatSession

HOW = (
    "Send /prices with a search's number (/prices 12) or the words of a search "
    "(/prices iphone 13) to see the asking prices I have seen lately."
)
NONE_SEEN = (
    "I have seen no comparable asking prices for “{words}” in the last 30 days. The chart "
    "grows from your searches' listings: start a search for these words, or check the spelling."
)
RECORDED = "👎 Noted: not a deal. Thanks — it helps judge the usual prices."
RECORDED_BEFORE = "You said so already: noted once."


def figures_text(view: PriceView) -> str:
    """The figures under the chart, in words; always says these are asking prices."""
    money = view.currency
    lines = [
        f"📊 Asking prices for “{view.label}” on {view.marketplace}, last {WINDOW_DAYS} days "
        "(what sellers ask, not what items sold for):",
        f"{len(view.prices)} listings counted (auctions, free ones and titles with parts or "
        "accessory words left out).",
    ]
    found = view.estimate
    if found is not None:
        lines.append(
            f"Usual price {whole_price_text(found.usual, money)}; the middle half ask "
            f"{whole_price_text(found.low, money)}–{whole_price_text(found.high, money)}"
            + (f" ({found.dropped} far-off prices left out)." if found.dropped else ".")
        )
        if not found.enough:
            lines.append(
                f"Too little to judge alerts by yet: I give a verdict from {MIN_LISTINGS} "
                f"listings whose middle half spans at most {MAX_SPREAD:.0%} of the usual price."
            )
    if view.last_alert is not None:
        lines.append(f"Last alert: {whole_price_text(view.last_alert, money)}.")
    return "\n".join(lines)


async def prices_reply(session: ChatSession, args: str) -> Reply:
    words = args.strip()
    if not words:
        return say(HOW)
    now = session.services.clock()
    number = parse_int(words.removeprefix("#"))
    if number is not None:
        view: PriceView | None = await prices.view_for_search(session.account, number, now)
    else:
        view = await prices.view_for_words(session.account, words, now)
    if view is None or not view.prices:
        return say(NONE_SEEN.format(words=view.label if view else words))
    png = await asyncio.to_thread(chart_png, view)  # drawing blocks: not on the event loop
    return Reply(figures_text(view), image=Document("prices.png", png, "image/png"))


# --- how it plugs into every front-end (bot.conversation.registry) -----------------------------
@command("prices", "Usual asking prices, as a chart", where=PRIVATE)
async def prices_command(session: ChatSession, args: str) -> list[Reply]:
    return [await prices_reply(session, args)]


@command("notadeal", "", where=Where(0))  # typed with an alert's number (the console)
async def not_a_deal_command(session: ChatSession, args: str) -> list[Reply]:
    from bot.conversation.session import command_id  # the session imports the registry

    destination = session.destination
    created = await prices.not_a_deal_pressed(
        session.account, command_id(args, "notadeal"), destination.platform, destination.chat_id
    )
    return [say(RECORDED if created else RECORDED_BEFORE)]


@on_action(Act.NOT_A_DEAL)
async def not_a_deal_pressed(session: ChatSession, action: Action) -> Pressed:
    """Anyone who can see the alert (its chat, or the search's owner) may say so, once."""
    from bot.conversation.pressed import Pressed

    destination = session.destination
    created = await prices.not_a_deal_pressed(
        session.account, action.id, destination.platform, destination.chat_id
    )
    return Pressed(toast=RECORDED if created else RECORDED_BEFORE)
