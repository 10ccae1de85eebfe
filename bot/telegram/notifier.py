"""Chat delivery: the Notifier port for alerts whose destination is a Telegram chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from bot.telegram.alerts import alert_html, alert_keyboard, without_links
from bot.telegram.markup import CAPTION_LIMIT, TEXT_LIMIT, escape_fit
from bot.telegram.ratelimit import WaitLimit, retry_seconds
from core.clock import Clock, utcnow
from core.destinations import deactivate_chat, move_chat
from core.enums import Platform
from core.errors import DeliveryError
from core.ports import AlertMessage, DeliveryResult, NoticeMessage

logger = logging.getLogger(__name__)

# An alert waits at most this long for its turn under the flood limits; longer, and it goes
# back to the dispatcher (transient error) rather than holding its lease.
ALERT_MAX_WAIT_SECONDS = 20.0
READY_WAIT_SECONDS = 10.0
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramNotifier:
    """Sends an alert as a photo with a caption (or text) and Open / Save / Hide buttons."""

    channel = "telegram"

    def __init__(self, bot: ExtBot[WaitLimit], ready: asyncio.Event, clock: Clock = utcnow) -> None:
        self.bot = bot
        self.ready = ready
        self.clock = clock

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        chat_id = int(alert.target.chat_id)
        return await self._guarded(chat_id, lambda: self._deliver(chat_id, alert))

    async def send_notice(self, notice: NoticeMessage) -> DeliveryResult:
        """A message about the service (a preview, a search that cannot run): plain text."""
        chat_id = int(notice.target.chat_id)
        text = escape_fit(notice.text, TEXT_LIMIT)
        return await self._guarded(
            chat_id,
            lambda: self.bot.send_message(
                chat_id,
                text,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                rate_limit_args=WaitLimit(ALERT_MAX_WAIT_SECONDS),
            ),
        )

    async def _guarded(
        self, chat_id: int, deliver: Callable[[], Awaitable[Message]]
    ) -> DeliveryResult:
        """Run ``deliver``, turning Telegram's errors into DeliveryError (and acting on a
        blocked or migrated chat)."""
        await self._wait_until_connected()
        try:
            message = await deliver()
        except RetryAfter as exc:
            raise DeliveryError(
                f"Telegram flood control: retry in {retry_seconds(exc):.0f} s"
            ) from exc
        except ChatMigrated as exc:
            await move_chat(Platform.TELEGRAM, str(chat_id), str(exc.new_chat_id))
            raise DeliveryError("the group became a supergroup; retrying there") from exc
        except Forbidden as exc:
            await deactivate_chat(Platform.TELEGRAM, str(chat_id), str(exc))
            raise DeliveryError(f"Telegram refused: {exc}", permanent=True) from exc
        except BadRequest as exc:
            raise DeliveryError(f"Telegram rejected the alert: {exc}", permanent=True) from exc
        except (InvalidToken, NetworkError) as exc:  # a bad token may be fixed: keep the alert
            raise DeliveryError(f"Telegram unreachable: {exc}") from exc
        except TelegramError as exc:
            raise DeliveryError(f"Telegram error: {exc}") from exc
        return DeliveryResult(provider_message_id=f"{chat_id}:{message.message_id}")

    async def _wait_until_connected(self) -> None:
        try:
            await asyncio.wait_for(self.ready.wait(), READY_WAIT_SECONDS)
        except TimeoutError as exc:
            raise DeliveryError("the Telegram bot is not connected yet") from exc

    async def _deliver(self, chat_id: int, alert: AlertMessage) -> Message:
        silent = alert.silent  # core decided: quiet hours on (and the match's status below)
        keyboard = alert_keyboard(
            alert.match_id,
            alert.listing.url,
            alert.match_status,
            alert.listing.seller,
            verdict=alert.verdict is not None,
        )
        now = self.clock()
        if alert.listing.image_url:
            try:
                return await self.bot.send_photo(
                    chat_id,
                    photo=alert.listing.image_url,
                    caption=alert_html(alert, now, CAPTION_LIMIT),
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    disable_notification=silent,
                    rate_limit_args=WaitLimit(ALERT_MAX_WAIT_SECONDS),
                )
            except BadRequest as exc:
                if not _photo_problem(exc):
                    raise
                logger.info("alert %s: photo refused (%s); sending text", alert.alert_id, exc)
        return await self._send_text(chat_id, alert, keyboard, silent)

    async def _send_text(
        self, chat_id: int, alert: AlertMessage, keyboard: InlineKeyboardMarkup, silent: bool
    ) -> Message:
        text = alert_html(alert, self.clock(), TEXT_LIMIT)
        try:
            return await self._text(chat_id, text, keyboard, silent)
        except BadRequest as exc:
            if "url" not in str(exc).lower():
                raise
            # The server refused the listing's link as a button: the alert goes without it.
            logger.info("alert %s: link button refused (%s)", alert.alert_id, exc)
            return await self._text(chat_id, text, without_links(keyboard), silent)

    async def _text(
        self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup, silent: bool
    ) -> Message:
        return await self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=NO_PREVIEW,
            disable_notification=silent,
            rate_limit_args=WaitLimit(ALERT_MAX_WAIT_SECONDS),
        )


def _photo_problem(exc: BadRequest) -> bool:
    """A 400 about the photo (not the chat or the text): worth trying as text instead."""
    text = str(exc).lower()
    return not any(word in text for word in ("chat not found", "can't parse", "too long"))
