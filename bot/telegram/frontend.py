"""The Telegram front-end: a python-telegram-bot Application in the process's event loop.

Polling by default; in webhook mode updates arrive through the process's web server (the
secret-token header is checked), so several processes can share one bot behind a balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.conversation import ChatServices
from bot.telegram.handlers import ALLOWED_UPDATES, COMMANDS, TelegramHandlers
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.ratelimit import RateLimits, TelegramRateLimiter
from core.errors import ConfigurationError
from core.ports import Notifier

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TOKEN_FORM = re.compile(r"[^\s/?#]+")  # it goes into the URL path: nothing that breaks it
WEBHOOK_PORTS = (443, 80, 88, 8443)  # the only ones Telegram delivers webhooks to, over HTTPS


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """What the front-end needs from Settings (built by bot/app.py)."""

    token: str = field(repr=False)
    api_url: str = "https://api.telegram.org"
    webhook: bool = False
    webhook_secret: str | None = field(default=None, repr=False)
    public_url: str = "http://127.0.0.1:8080"
    limits: RateLimits = field(default_factory=RateLimits)
    poll_timeout_seconds: int = 25
    start_retries: int = 8

    def check(self) -> None:
        """Fail fast, naming the setting, on what Telegram would refuse later."""
        if not _TOKEN_FORM.fullmatch(self.token):
            raise ConfigurationError(
                "TELEGRAM_BOT_TOKEN: not a bot token (it looks like 123456:ABC-… in @BotFather)"
            )
        if self.webhook and not self.webhook_secret:
            raise ConfigurationError("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE=webhook")
        if self.webhook_secret and not _SECRET_FORM.fullmatch(self.webhook_secret):
            raise ConfigurationError(
                "TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - only"
            )
        if self.webhook:
            _check_webhook_url(self.public_url)

    @property
    def webhook_url(self) -> str:
        return self.public_url.rstrip("/") + WEBHOOK_PATH


def _check_webhook_url(public_url: str) -> None:
    url = urlsplit(public_url)
    port = url.port or 443
    if url.scheme != "https" or port not in WEBHOOK_PORTS:
        raise ConfigurationError(
            f"PUBLIC_URL: Telegram delivers webhooks only to https:// on port 443, 80, 88 or "
            f"8443 (got {public_url}); put a TLS proxy in front of WEB_PORT"
        )


def build_application(config: TelegramConfig) -> Application[Any, Any, Any, Any, Any, Any]:
    root = config.api_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .rate_limiter(TelegramRateLimiter(config.limits))
        # Updates of different chats run side by side; each chat's are serialised by a lock.
        .concurrent_updates(64)
    )
    if config.webhook:
        builder = builder.updater(None)
    return builder.build()


class TelegramFrontend:
    """The ChatFrontend for Telegram: runs the bot, delivers alerts, mounts the webhook."""

    name = "telegram"

    def __init__(self, config: TelegramConfig, services: ChatServices) -> None:
        config.check()
        self.config = config
        self.application = build_application(config)
        self.handlers = TelegramHandlers(services, self.application)
        self.handlers.install(self.application)
        self._ready = asyncio.Event()
        self._notifier = TelegramNotifier(self.application.bot, self._ready, services.clock)

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    def add_web_routes(self, app: web.Application) -> None:
        if self.config.webhook:
            app.router.add_post(WEBHOOK_PATH, self._webhook)

    async def run(self) -> None:
        try:
            await self._start()
            await asyncio.Event().wait()  # until cancelled
        finally:
            await self._stop()

    async def _start(self) -> None:
        app = self.application
        await self._initialize()
        try:
            await app.bot.set_my_commands(list(COMMANDS))
        except TelegramError as exc:  # only the command menu is missing: keep going
            logger.warning("telegram: could not set the command menu: %s", exc)
        await app.start()
        if self.config.webhook:
            await app.bot.set_webhook(
                self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            logger.info("telegram: webhook set to %s", self.config.webhook_url)
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=self.config.poll_timeout_seconds,
                # A pause between polls: a server that does not long-poll is not hammered.
                poll_interval=0.05,
                allowed_updates=list(ALLOWED_UPDATES),
                # Polling outlives network trouble; it retries with its own backoff.
                bootstrap_retries=-1,
            )
        logger.info("telegram: @%s is up (%s)", app.bot.username, self._mode)
        self._ready.set()

    @property
    def _mode(self) -> str:
        return "webhook" if self.config.webhook else "polling"

    async def _initialize(self) -> None:
        """getMe, retried while Telegram cannot be reached; a refused token stops start-up."""
        for attempt in range(1, self.config.start_retries + 1):
            try:
                await self.application.initialize()
                return
            except InvalidToken as exc:
                raise ConfigurationError(
                    "TELEGRAM_BOT_TOKEN: Telegram refused this token; check it with @BotFather"
                ) from exc
            except NetworkError as exc:
                delay = min(30.0, 2.0**attempt)
                logger.warning("telegram unreachable (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
        raise ConfigurationError("TELEGRAM_API_URL: Telegram could not be reached")

    async def _stop(self) -> None:
        self._ready.clear()
        app = self.application
        with contextlib.suppress(TelegramError, RuntimeError):
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
        with contextlib.suppress(TelegramError, RuntimeError):
            if app.running:
                await app.stop()
        with contextlib.suppress(TelegramError, RuntimeError):
            await app.shutdown()

    async def _webhook(self, request: web.Request) -> web.Response:
        secret = request.headers.get(SECRET_HEADER, "")
        expected = self.config.webhook_secret or ""
        if not hmac.compare_digest(secret.encode(), expected.encode()):
            logger.warning("telegram webhook: wrong secret token from %s", request.remote)
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            logger.warning("telegram webhook: unreadable update: %s", exc)
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        await self.application.update_queue.put(update)
        return web.json_response({"ok": True})
