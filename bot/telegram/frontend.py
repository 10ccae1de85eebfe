"""The Telegram front-end: a python-telegram-bot Application in the process's event loop.

Polling by default; in webhook mode updates arrive through the process's web server (the
secret-token header is checked), so several processes can share one bot behind a balancer.
Either way every update goes to the durable inbox (core.inbox) before it is acknowledged,
and a small pool of workers hands them to PTB's handlers, one at a time per chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.conversation import ChatServices
from bot.telegram.handlers import ALLOWED_UPDATES, TelegramHandlers, command_menus
from bot.telegram.intake import BadUpdate, Poller, parse_body
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.ratelimit import RateLimits, TelegramRateLimiter, WaitLimit
from bot.telegram.workers import InboxWorkers, WorkerOptions
from core.enums import Platform
from core.errors import ConfigurationError
from core.inbox import Accepted, Claim, Inbox, InboxOptions, IncomingUpdate
from core.ports import Notifier

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_FORM = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TOKEN_FORM = re.compile(r"[^\s/?#]+")  # it goes into the URL path: nothing that breaks it
SLOW_DOWN = (
    "Slow down, please: you are sending messages faster than I can answer. "
    "I skipped the extra ones; I'll answer the rest, then send again what you still need."
)
# A chat whose next message would wait longer than this is served later (see workers.py).
RATE_SKIP_SECONDS = 0.05
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
    inbox: InboxOptions = field(default_factory=InboxOptions)
    workers: WorkerOptions = field(default_factory=WorkerOptions)
    # On stop, how long handlers in flight may finish before they are cancelled.
    stop_grace_seconds: float = 3.0

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
        # Updates come from the inbox (intake.py, workers.py), never through PTB's Updater.
        .updater(None)
    )
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
        self.clock = services.clock
        self.inbox = Inbox(Platform.TELEGRAM, config.inbox)
        self.workers = InboxWorkers(
            self.inbox, self._process, self.clock, options=config.workers, skip=self._rate_used
        )
        self._stop_requested = asyncio.Event()
        self._taking = False  # whether updates are taken in (webhook answers 503 otherwise)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    def add_web_routes(self, app: web.Application) -> None:
        if self.config.webhook:
            app.router.add_post(WEBHOOK_PATH, self._webhook)

    def request_stop(self) -> None:
        """Stop taking updates and return from ``run`` within a few seconds (a SIGTERM)."""
        self._stop_requested.set()

    async def run(self) -> None:
        loops: list[asyncio.Task[None]] = []
        stop = asyncio.create_task(self._stop_requested.wait(), name="telegram stop")
        try:
            await self._start()
            loops.append(asyncio.create_task(self.workers.run(), name="telegram workers"))
            if not self.config.webhook:
                loops.append(asyncio.create_task(self._poller().run(), name="telegram polling"))
            self._taking = True
            done, _ = await asyncio.wait([*loops, stop], return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stop}:
                task.result()  # a loop that ended on its own failed: raise it
        finally:
            stop.cancel()
            await self._stop(loops)

    async def run_sending_only(self) -> None:
        """Connect the bot for delivery only, until ``request_stop``: no updates, no webhook.

        For a process with the dispatcher but not the bots (`--only dispatcher`): without
        this its Telegram notifier never became ready, so every chat alert and notice it
        claimed failed with "not connected yet" until another process happened to take it.
        """
        try:
            await self._initialize()
            self._ready.set()
            await self._stop_requested.wait()
        finally:
            self._ready.clear()
            with contextlib.suppress(TelegramError, RuntimeError):
                await self.application.shutdown()

    def _poller(self) -> Poller:
        return Poller(
            self.application.bot,
            self._store_polled,
            self.inbox.has_room,
            timeout=self.config.poll_timeout_seconds,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def _start(self) -> None:
        app = self.application
        await self._initialize()
        try:
            await app.bot.delete_my_commands()  # an older, unscoped menu would show in groups
            for scope, commands in command_menus():
                await app.bot.set_my_commands(list(commands), scope=scope)
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

    async def _stop(self, loops: list[asyncio.Task[None]]) -> None:
        """Stop taking updates, give handlers in flight a short grace, put the rest back."""
        self._taking = False
        self._ready.clear()
        for task in loops[1:]:  # the poller: whatever it fetched and did not store stays
            task.cancel()  # with Telegram, since the offset did not move past it
        await asyncio.gather(*loops[1:], return_exceptions=True)
        if loops:
            await self.workers.stop(loops[0], self.config.stop_grace_seconds)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.handlers.delete_pending_now()
        app = self.application
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
        if not self._taking:
            return web.json_response({"ok": False, "error": "stopping"}, status=503)
        try:
            update = parse_body(await request.read(), self.application.bot)
        except BadUpdate as exc:
            logger.warning("telegram webhook: refused a body: %s", exc)
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        accepted = await self.inbox.accept([update], self.clock())
        if accepted.full:
            # Telegram keeps the update and tries again later; every chat waits meanwhile.
            logger.warning("telegram webhook: the inbox is full; answered 503")
            return web.json_response({"ok": False, "error": "busy"}, status=503)
        self._accepted(accepted)
        return web.json_response({"ok": True})

    # --- the inbox ---------------------------------------------------------------------------
    async def _store_polled(self, updates: Sequence[IncomingUpdate]) -> None:
        # The poller only fetches while there is room, so a fetched batch is kept whole.
        self._accepted(await self.inbox.accept(updates, self.clock(), enforce_cap=False))

    def _accepted(self, accepted: Accepted) -> None:
        if accepted.stored:
            self.workers.wake()
        for key in accepted.throttled:
            if key.lstrip("-").isdigit():  # a chat (not a chatless update's user key)
                self._spawn(self._slow_down(int(key)))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _slow_down(self, chat_id: int) -> None:
        try:
            await self.application.bot.send_message(
                chat_id, SLOW_DOWN, rate_limit_args=WaitLimit(30.0)
            )
        except TelegramError as exc:
            logger.info("could not ask chat %s to slow down: %s", chat_id, exc)

    def _rate_used(self, key: str) -> bool:
        limiter = self.application.bot.rate_limiter
        if not isinstance(limiter, TelegramRateLimiter) or not key.lstrip("-").isdigit():
            return False
        return limiter.send_wait(int(key)) > RATE_SKIP_SECONDS

    async def _process(self, claim: Claim) -> None:
        update = Update.de_json(claim.payload, self.application.bot)
        await self.application.process_update(update)
