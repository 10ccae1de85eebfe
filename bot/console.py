"""The console chat: the whole conversation in a terminal (or driven through stdin by a test).

Choices are numbered; typing the number (or several, comma-separated) picks them. Alerts
print as they arrive, each with its number for /save N and /hide N.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from bot.conversation import ChatSession, Reply, alert_lines
from bot.conversation.actions import Action
from bot.conversation.errors import UNEXPECTED, user_text
from bot.conversation.pressed import act
from core.clock import Clock, utcnow
from core.conversations import ConversationKey
from core.enums import Platform
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
        self.out.write(f"\n{text}\n    /save {n} · /hide {n}{block}\n")
        self.out.flush()
        return DeliveryResult(provider_message_id=str(n))

    async def send_notice(self, notice: NoticeMessage) -> DeliveryResult:
        self.out.write(f"\nℹ️ {notice.text}\n")
        self.out.flush()
        return DeliveryResult(provider_message_id=f"notice-{notice.notice_id}")


def render(reply: Reply) -> str:
    """Plain text with numbered choices; a file (/export) is printed after the text."""
    if reply.document is not None:
        content = reply.document.content.decode("utf-8", errors="replace")
        return f"{reply.text}\n--- {reply.document.filename} ---\n{content}\n--- end ---"
    if not reply.buttons:
        return reply.text
    choices = "  ".join(
        f"[{i}] {b.label}" + (f" ({b.url})" if b.url else "")
        for i, b in enumerate(reply.buttons, 1)
    )
    how = "type numbers separated by commas" if reply.multi_select else "type a number"
    return f"{reply.text}\n  {choices}\n  ({how}, or type your answer)"


def resolve_choice(text: str, last: Reply | None) -> str:
    """'2' → the value of the second button of the last question; '1,3' → 'a,c'."""
    if last is None or not last.buttons:
        return text
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    picked = [parse_int(p, minimum=1, maximum=len(last.buttons)) for p in parts]
    if not picked or None in picked:
        return text
    return ",".join(last.buttons[n - 1].value for n in picked if n is not None)


def pressed_action(text: str, last: Reply | None) -> Action | None:
    """The action of the screen button whose number was typed, if it has one."""
    if last is None:
        return None
    number = parse_int(text.strip(), minimum=1, maximum=len(last.buttons))
    return None if number is None else last.buttons[number - 1].action


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
            action = pressed_action(line, self._last)
            if action is not None:
                return await self._press(action)
            return await self.session.handle_stored(resolve_choice(line, self._last))
        except Exception as exc:  # the top of the console loop: log it, say so, read on
            logger.exception("console input %r failed", line[:200])
            return [user_text(exc)]

    async def _press(self, action: Action) -> list[Reply]:
        """A screen's numbered choice: the same action a Telegram button would do."""
        await self.session.load()
        pressed = await act(self.session, action)
        await self.session.save()
        toast = [Reply(pressed.toast)] if pressed.toast else []
        shown = [pressed.screen] if pressed.screen is not None else pressed.replies
        return toast + shown

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
