"""The console chat: the whole conversation in a terminal (or driven through stdin by a test).

Replies are the same neutral ones Telegram renders; their buttons are numbered choices, and
typing a number presses that button's action (several, comma-separated, tick a multi-select
question's options and submit them). Alerts
print as they arrive, each with its number for /save N and /hide N.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.conversation import Button, ChatSession, Reply, alert_lines
from bot.conversation.actions import Act, Action
from bot.conversation.errors import UNEXPECTED, user_text
from bot.conversation.pressed import act
from bot.conversation.replies import Document
from core.clock import Clock, utcnow
from core.conversations import ConversationKey
from core.enums import Platform
from core.errors import ConversationConflict, MonitorError
from core.numbers import parse_int
from core.ports import AlertMessage, DeliveryResult, NoticeMessage

logger = logging.getLogger(__name__)

CONSOLE_CHAT_ID = "console"
ERROR_TEXT = UNEXPECTED


class ConsoleNotifier:
    """Delivers alerts of console destinations by printing them."""

    channel = "console"

    def __init__(self, out: TextIO, clock: Clock = utcnow) -> None:
        self.out = out
        self.clock = clock

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        lines = alert_lines(alert, self.clock())
        n = alert.match_id
        text = "\n".join([f"🔔 [{n}] {lines[0]}", *("    " + line for line in lines[1:])])
        block = f" · /block {n}" if alert.listing.seller else ""  # nobody to block otherwise
        wrong = f" · /notadeal {n}" if alert.verdict is not None else ""  # issue 16
        self.out.write(f"\n{text}\n    /save {n} · /hide {n}{block}{wrong}\n")
        self.out.flush()
        return DeliveryResult(provider_message_id=str(n))

    async def send_notice(self, notice: NoticeMessage) -> DeliveryResult:
        self.out.write(f"\nℹ️ {notice.text}\n")
        self.out.flush()
        return DeliveryResult(provider_message_id=f"notice-{notice.notice_id}")


def save_image(image: Document) -> Path:
    """A chart the console cannot show, written where the user can open it."""
    folder = Path(tempfile.gettempdir()) / "marketplace-monitor-charts"
    folder.mkdir(parents=True, exist_ok=True)
    stem, _, suffix = image.filename.rpartition(".")
    with tempfile.NamedTemporaryFile(
        dir=folder, prefix=f"{stem}-", suffix=f".{suffix}", delete=False
    ) as file:  # one file per chart: an earlier one stays where it was said to be
        file.write(image.content)
    return Path(file.name)


def choices(reply: Reply) -> list[Button]:
    """The buttons the console numbers: all but a multi-select question's Done (typing
    several numbers, comma-separated, picks them and submits at once)."""
    return [b for b in reply.buttons if b.action is None or b.action.act is not Act.CHOICES_DONE]


def render(reply: Reply) -> str:
    """Plain text with numbered choices; a file (/export) is printed after the text."""
    if reply.document is not None:
        content = reply.document.content.decode("utf-8", errors="replace")
        return f"{reply.text}\n--- {reply.document.filename} ---\n{content}\n--- end ---"
    if reply.image is not None:  # /prices (issue 16): the figures, and where the chart is
        return f"{reply.text}\n(chart: {save_image(reply.image)})"
    shown = choices(reply)
    if not shown:
        return reply.text
    listed = "  ".join(
        f"[{i}] {b.label}" + (f" ({b.url})" if b.url else "") for i, b in enumerate(shown, 1)
    )
    how = "type numbers separated by commas" if reply.multi_select else "type a number"
    return f"{reply.text}\n  {listed}\n  ({how}, or type your answer)"


def pressed_actions(text: str, last: Reply | None) -> list[Action]:
    """The actions of the buttons whose numbers were typed: one for a single choice; for a
    multi-select question each option, then its Done. Empty when ``text`` is not that."""
    if last is None:
        return []
    shown = choices(last)
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    numbers = [parse_int(p, minimum=1, maximum=len(shown)) for p in parts]
    if not numbers or None in numbers or (len(numbers) > 1 and not last.multi_select):
        return []
    picked = [shown[n - 1].action for n in numbers if n is not None]
    if None in picked:
        return []  # a link, not an action
    found = [a for a in picked if a is not None]
    done = [b.action for b in last.buttons if b.action and b.action.act is Act.CHOICES_DONE]
    return found + done if last.multi_select else found


class ConsoleChat:
    """Reads lines from ``source``, hands them to a ChatSession, prints what it says."""

    def __init__(
        self, session: ChatSession, source: TextIO, out: TextIO, *, kept: bool = False
    ) -> None:
        self.session = session
        if kept and session.key is None:  # in the database: a restart continues the chat
            session.key = ConversationKey(
                Platform.CONSOLE, session.destination.chat_id, str(session.account.id)
            )
        self.source = source
        self.out = out
        self.interactive = source.isatty()
        self._last: Reply | None = None

    async def run(self) -> None:
        """Until the input ends (EOF) or the task is cancelled."""
        lines = _lines_from(self.source)
        await self.show(await self.answer("/start"))
        while True:
            self._prompt()
            line = await lines.get()
            if line is None:
                return
            if not line.strip():
                continue
            if not self.interactive:
                self._echo(line)
            await self.show(await self.answer(line))

    async def answer(self, line: str) -> Sequence[Reply]:
        """The session's replies to one typed line; a bug in handling one line must not end
        the chat."""
        try:
            pressed = pressed_actions(line, self._last)
            if pressed:
                return await self._press(pressed)
            return await self.session.handle_stored(line)
        except Exception as exc:  # the top of the console loop: log it, say so, read on
            logger.exception("console input %r failed", line[:200])
            return [user_text(exc)]

    async def _press(self, actions: list[Action]) -> list[Reply]:
        """Numbered choices: the same actions Telegram's buttons would do."""
        notice = await self.session.load()
        shown: list[Reply] = []
        for action in actions:
            try:
                pressed = await act(self.session, action)
            except ConversationConflict:
                raise
            except MonitorError as exc:  # refused (a limit, a right): said, nothing changed
                shown = [user_text(exc)]
                break
            toast = [Reply(pressed.toast)] if pressed.toast else []
            shown = toast + ([pressed.screen] if pressed.screen is not None else pressed.replies)
        await self.session.save()
        return notice + shown

    async def show(self, replies: Sequence[Reply]) -> None:
        for reply in replies:
            self.out.write(render(reply) + "\n")
            self._last = reply if reply.buttons else None
        self.out.flush()

    def _prompt(self) -> None:
        if self.interactive:
            self.out.write("> ")
            self.out.flush()

    def _echo(self, line: str) -> None:
        # Piped input is not shown by a terminal: echo it so the transcript reads as a chat.
        self.out.write(f"> {line.strip()}\n")


def _lines_from(source: TextIO) -> asyncio.Queue[str | None]:
    """Lines of ``source`` read on a daemon thread (stdin has no portable async reader);
    ``None`` marks the end. A daemon thread never holds up the process when it exits."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in source:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except RuntimeError:  # the loop closed first: the process is exiting anyway
            return

    threading.Thread(target=pump, name="console-input", daemon=True).start()
    return queue


def standard_streams() -> tuple[TextIO, TextIO]:
    return sys.stdin, sys.stdout
