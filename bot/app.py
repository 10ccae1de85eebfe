"""The composition root: the one place that reads Settings and wires concrete adapters.

``run`` starts everything the settings configure; ``demo`` runs the whole loop offline
(sandbox marketplace + console chat) on a throwaway database.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bot.console import CONSOLE_CHAT_ID, ConsoleChat, ConsoleNotifier
from bot.conversation import ChatServices, ChatSession, with_verification
from bot.frontends import ChatFrontend
from bot.redaction import url_password
from bot.settings import Settings
from core import accounts, templates
from core.db import is_sqlite, open_database, sqlite_single_process
from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import Platform, Tier
from core.errors import ComponentFailed, ConfigurationError
from core.inbox import InboxOptions
from core.metrics import Metrics
from core.ports import Marketplace, Notifier
from core.retention import Retention, RetentionOptions
from core.runner import Runner, RunnerOptions
from core.searches import SearchService
from core.tiers import TierTable
from core.verification import VerificationService
from notifiers import (
    Links,
    SendgridNotifier,
    SmtpNotifier,
    SmtpServer,
    TwilioNotifier,
    WebhookNotifier,
)
from scrapers import (
    SandboxConfig,
    SandboxMarketplace,
    craigslist,
    ebay,
    facebook,
    gumtree,
    running_sandbox,
)
from scrapers.craigslist import CraigslistMarketplace
from scrapers.ebay import EbayMarketplace
from scrapers.facebook import BrowserConfig, FacebookBrowser, FacebookMarketplace, find_chromium
from scrapers.gumtree import GumtreeMarketplace
from web import HealthProbe, build_web_app, serve_web

logger = logging.getLogger(__name__)

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


@dataclass(slots=True)
class Monitor:
    """The running parts of one process, built from Settings."""

    metrics: Metrics
    runner: Runner
    dispatcher: Dispatcher
    searches: SearchService
    notifiers: dict[str, Notifier] = field(default_factory=dict)


def log_secrets(settings: Settings) -> dict[str, str]:
    """Every configured secret by setting name, for the log filter (bot.redaction).

    All SecretStr settings (tokens, keys, webhook secrets, SMTP_URL…) and the password of any
    URL-valued setting (DATABASE_URL's among them).
    """
    found: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if isinstance(value, SecretStr):
            found[name.upper()] = text
        password = url_password(text)
        if password:
            found[f"{name.upper()} password"] = password
    token = found.get("TELEGRAM_BOT_TOKEN", "")
    if ":" in token:  # its secret half can appear on its own (URL-quoted, split logs)
        found["TELEGRAM_BOT_TOKEN part"] = token.split(":", 1)[1]
    return found


# --- adapters, one builder each: the only place concrete adapters are chosen -------------


def build_marketplaces(
    settings: Settings, http: aiohttp.ClientSession, *, browser: FacebookBrowser | None = None
) -> dict[str, Marketplace]:
    """Every marketplace whose settings are present; `run` reports the others as skipped.

    Facebook needs the process's one browser (``facebook_browser_config``); without it, it is
    skipped.
    """
    found: dict[str, Marketplace] = {}
    if settings.sandbox_url is not None:
        found["sandbox"] = SandboxMarketplace(http, str(settings.sandbox_url).rstrip("/"))
    if settings.ebay_client_id and settings.ebay_client_secret is not None:
        found["ebay"] = EbayMarketplace(
            http,
            client_id=settings.ebay_client_id,
            client_secret=settings.ebay_client_secret.get_secret_value(),
            api_url=str(settings.ebay_api_url),
            marketplace_id=settings.ebay_marketplace_id,
            daily_call_quota=settings.ebay_daily_call_quota,
        )
    else:
        logger.info("ebay: skipped (EBAY_CLIENT_ID and EBAY_CLIENT_SECRET are not set)")
    if settings.craigslist_enabled:
        found["craigslist"] = CraigslistMarketplace(
            http,
            site_url=settings.craigslist_url,
            api_url=str(settings.craigslist_api_url),
            reference_url=str(settings.craigslist_reference_url),
        )
    else:
        logger.info("craigslist: skipped (CRAIGSLIST_ENABLED is not true)")
    # Gumtree: no key needed, GUMTREE_URL has a default. Facebook: needs a Chromium.
    found["gumtree"] = GumtreeMarketplace(http, str(settings.gumtree_url))
    if browser is not None:
        found["facebook"] = FacebookMarketplace(browser, str(settings.facebook_url))
    else:
        logger.info("facebook: skipped (no Chromium: install chromium or set BROWSER_EXECUTABLE)")
    return found


def listing_domains(settings: Settings) -> dict[str, tuple[str, ...]]:
    """Marketplace name → the hosts its listings live on, as each scraper declares them.

    The web app's click-through redirects only there (web/ cannot import scrapers, so it
    gets this plain mapping). The sandbox is local: its SANDBOX_URL origin, when set.
    """
    domains = {
        EbayMarketplace.name: ebay.LISTING_DOMAINS,
        CraigslistMarketplace.name: craigslist.LISTING_DOMAINS,
        gumtree.MARKETPLACE: gumtree.LISTING_DOMAINS,
        facebook.MARKETPLACE: facebook.LISTING_DOMAINS,
    }
    if settings.sandbox_url is not None:
        domains["sandbox"] = (str(settings.sandbox_url).rstrip("/"),)
    return domains


def metrics_token(settings: Settings) -> str | None:
    """METRICS_TOKEN, or None (unset or empty: /metrics is open)."""
    token = settings.metrics_token
    return (token.get_secret_value() or None) if token is not None else None


def facebook_browser_config(settings: Settings) -> BrowserConfig | None:
    """The shared browser's settings, or None when no Chromium is there (Facebook skipped)."""
    executable = find_chromium(settings.browser_executable)
    if executable is None:
        return None
    return BrowserConfig(executable, state_file=settings.facebook_state_file)


def build_delivery_notifiers(
    settings: Settings, http: aiohttp.ClientSession
) -> tuple[dict[str, Notifier], list[str]]:
    """Email / SMS / webhook notifiers that are configured, and a line for each one skipped.

    Email: SendGrid when SENDGRID_API_KEY is set, else SMTP_URL; both need EMAIL_FROM.
    Webhooks need no provider and are always on (behind the SSRF guard).
    """
    links = Links(str(settings.public_url))
    allow_private = settings.webhook_allow_private_targets
    found: dict[str, Notifier] = {"webhook": WebhookNotifier(allow_private=allow_private)}
    skipped = ["webhook: PRIVATE TARGETS ALLOWED (local testing only)"] if allow_private else []
    sender = settings.email_from
    if settings.sendgrid_api_key is None and settings.smtp_url is None:
        skipped.append("email: skipped (set SENDGRID_API_KEY or SMTP_URL, and EMAIL_FROM)")
    elif sender is None:
        skipped.append("email: skipped (EMAIL_FROM is not set)")
    elif settings.sendgrid_api_key is not None:
        key = settings.sendgrid_api_key.get_secret_value()
        found["email"] = SendgridNotifier(
            key, sender, links, api_url=str(settings.sendgrid_api_url)
        )
    elif settings.smtp_url is not None:
        server = SmtpServer.from_url(settings.smtp_url.get_secret_value())
        found["email"] = SmtpNotifier(server, sender, links)
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if sid and token and settings.twilio_from_number:
        found["sms"] = TwilioNotifier(
            http,
            sid,
            token.get_secret_value(),
            settings.twilio_from_number,
            links,
            api_url=str(settings.twilio_api_url),
        )
    else:
        skipped.append(
            "sms: skipped (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER)"
        )
    return found, skipped


def build_chat_frontends(
    settings: Settings, http: aiohttp.ClientSession, services: ChatServices
) -> tuple[list[ChatFrontend], list[str]]:
    """The chat bots whose tokens are set, and a line for each one skipped."""
    frontends: list[ChatFrontend] = []
    skipped = []
    if settings.telegram_bot_token is None:
        skipped.append("telegram: skipped (TELEGRAM_BOT_TOKEN is not set)")
    else:
        # Imported here so python-telegram-bot is only loaded when a bot is configured.
        from bot.settings import TelegramMode
        from bot.telegram import TelegramConfig, TelegramFrontend

        secret = settings.telegram_webhook_secret
        config = TelegramConfig(
            token=settings.telegram_bot_token.get_secret_value(),
            api_url=str(settings.telegram_api_url).rstrip("/"),
            webhook=settings.telegram_mode is TelegramMode.WEBHOOK,
            webhook_secret=secret.get_secret_value() if secret else None,
            public_url=str(settings.public_url),
            inbox=InboxOptions(
                max_pending=settings.inbox_max_pending,
                max_pending_per_chat=settings.inbox_max_pending_per_chat,
            ),
        )
        frontends.append(TelegramFrontend(config, services))
    if settings.discord_bot_token is None:
        skipped.append("discord: skipped (DISCORD_BOT_TOKEN is not set)")
    return frontends, skipped


# --- the process ---------------------------------------------------------------------------


def build_monitor(
    settings: Settings,
    marketplaces: Mapping[str, Marketplace],
    notifiers: Mapping[str, Notifier],
    tiers: TierTable,
) -> Monitor:
    metrics = Metrics()
    postgres = not is_sqlite(settings.database_url)
    options = RunnerOptions(
        skip_locked=postgres,
        max_concurrent_writes=4 if postgres else 1,
        lease_seconds=settings.check_lease_seconds,
        share_window_seconds=settings.fetch_share_seconds,
    )
    runner = Runner(marketplaces, options=options, metrics=metrics)
    delivery = DispatcherOptions(
        skip_locked=postgres, lease_seconds=settings.delivery_lease_seconds
    )
    retention = Retention(RetentionOptions(days=settings.retention_days))
    dispatcher = Dispatcher(notifiers, options=delivery, metrics=metrics, retention=retention)
    searches = SearchService(tiers, marketplaces)
    return Monitor(metrics, runner, dispatcher, searches, dict(notifiers))


# How long SIGTERM/SIGINT waits for the runner, dispatcher and chat bots to finish what they
# hold; with the cancelling and closing after it, a stop stays within 15 s.
DRAIN_SECONDS = 11.0


async def _supervise(
    jobs: Mapping[str, Callable[[], Awaitable[None]]],
    drains: Mapping[str, Callable[[], None]] | None = None,
    *,
    may_end: frozenset[str] = frozenset(),
) -> None:
    """Run the named loops until one ends or fails, or SIGINT/SIGTERM arrives; then stop all.

    On a signal the loops in ``drains`` are asked to finish what they hold (checks in
    progress, alerts being sent) for up to DRAIN_SECONDS; then everything is cancelled.
    A loop that fails, or ends without being asked to (unless it is in ``may_end``), stops
    the rest and is raised: ConfigurationError as it is, anything else as ComponentFailed.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = {name: asyncio.create_task(job(), name=name) for name, job in jobs.items()}
    stopper = asyncio.create_task(stop.wait(), name="signals")
    try:
        done, _ = await asyncio.wait(
            [*tasks.values(), stopper], return_when=asyncio.FIRST_COMPLETED
        )
        failure = _first_failure([t for t in done if t is not stopper], may_end)
        await _drain(tasks, drains or {})
        if failure is not None:
            raise failure
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for task in [*tasks.values(), stopper]:
            task.cancel()
        await asyncio.gather(*tasks.values(), stopper, return_exceptions=True)


def _first_failure(
    ended: Sequence[asyncio.Task[None]], may_end: frozenset[str]
) -> Exception | None:
    for task in ended:
        name = task.get_name()
        if task.cancelled():
            return ComponentFailed(name, "stopped unexpectedly (cancelled)")
        exc = task.exception()
        if exc is None:
            if name not in may_end:
                return ComponentFailed(name, "stopped unexpectedly")
            continue
        if isinstance(exc, ConfigurationError | ComponentFailed):
            return exc
        # The traceback helps a developer; the operator gets the one line.
        logger.debug("%s failed", name, exc_info=exc)
        return ComponentFailed(name, f"failed: {type(exc).__name__}: {exc}")
    return None


async def _drain(
    tasks: Mapping[str, asyncio.Task[None]], drains: Mapping[str, Callable[[], None]]
) -> None:
    draining = [tasks[name] for name in drains if name in tasks and not tasks[name].done()]
    for name, request_stop in drains.items():
        if name in tasks:
            request_stop()
    if draining:
        await asyncio.wait(draining, timeout=DRAIN_SECONDS)


async def _serve_web(app: web.Application, host: str, port: int) -> None:
    try:
        await serve_web(app, host, port)
    except OSError as exc:
        raise ComponentFailed("web", _listen_problem(host, port, exc)) from exc


def _listen_problem(host: str, port: int, exc: OSError) -> str:
    """Why the web server cannot listen, naming the setting to change."""
    if isinstance(exc, socket.gaierror):
        return f"WEB_HOST {host!r} is not an address or a name this machine knows"
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use; set WEB_PORT to a free port"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"WEB_HOST {host} is not an address of this machine"
    if exc.errno == errno.EACCES:
        return f"port {port} needs privileges; set WEB_PORT to 1024 or above"
    return f"cannot listen on {host}:{port} (WEB_HOST, WEB_PORT): {exc.strerror or exc}"


def _announce(line: str) -> None:
    print(line, flush=True)


ROLES = ("runner", "dispatcher", "web", "bots")


async def run_service(settings: Settings, roles: Sequence[str] = ROLES) -> None:
    """`marketplace-monitor run`: migrations, runner, dispatcher, web, and each chat bot.

    ``roles`` lets an operator scale each part on its own machines (Postgres only).
    """
    async with AsyncExitStack() as stack:
        stack.enter_context(sqlite_single_process(settings.database_url))
        await stack.enter_async_context(open_database(settings.database_url))
        await templates.seed_templates()
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=HTTP_TIMEOUT))
        browser_config = facebook_browser_config(settings)  # one Chromium, started on first use
        browser = None
        if browser_config is not None:
            browser = await stack.enter_async_context(FacebookBrowser(browser_config))
        marketplaces = build_marketplaces(settings, http, browser=browser)
        notifiers, skipped = build_delivery_notifiers(settings, http)
        monitor = build_monitor(settings, marketplaces, notifiers, TierTable.default())
        services = with_verification(
            ChatServices(monitor.searches, monitor.runner.prime),
            VerificationService.from_notifiers(notifiers),
        )
        frontends, skipped_chats = build_chat_frontends(settings, http, services)
        for frontend in frontends:
            monitor.dispatcher.add_notifier(frontend.name, frontend.notifier)
            monitor.notifiers[frontend.name] = frontend.notifier
        _report_components(
            settings, marketplaces, monitor, frontends, skipped + skipped_chats, roles
        )
        runner_tick = (lambda: monitor.runner.last_tick_at) if "runner" in roles else None
        health = HealthProbe(runner_last_tick=runner_tick)
        web_app = build_web_app(
            metrics=monitor.metrics,
            health=health,
            extra_routes=[f.add_web_routes for f in frontends],
            listing_domains=listing_domains(settings),
            metrics_token=metrics_token(settings),
        )
        jobs: dict[str, Callable[[], Awaitable[None]]] = {
            "runner": monitor.runner.run,
            "dispatcher": monitor.dispatcher.run,
            "web": lambda: _serve_web(web_app, settings.web_host, settings.web_port),
        }
        jobs = {name: job for name, job in jobs.items() if name in roles}
        if "bots" in roles:
            jobs.update({f.name: f.run for f in frontends})
        drains = {
            "runner": monitor.runner.request_stop,
            "dispatcher": monitor.dispatcher.request_stop,
            **{f.name: f.request_stop for f in frontends},
        }
        await _supervise(jobs, drains)
    _announce("Stopped cleanly.")


def _report_components(
    settings: Settings,
    marketplaces: Mapping[str, Marketplace],
    monitor: Monitor,
    frontends: Sequence[ChatFrontend],
    skipped: Sequence[str],
    roles: Sequence[str],
) -> None:
    database = "SQLite (one process)" if settings.is_sqlite else "Postgres"
    _announce(f"database: {database}, migrations applied")
    names = ", ".join(marketplaces) or "none (set SANDBOX_URL or a marketplace's credentials)"
    channels = ", ".join(monitor.notifiers) or "none yet"
    started = {
        "runner": f"runner: started; marketplaces: {names}",
        "dispatcher": f"dispatcher: started; channels: {channels}",
        "web": f"web: listening on http://{settings.web_host}:{settings.web_port}",
    }
    for role, line in started.items():
        _announce(line if role in roles else f"{role}: skipped (not in --only)")
    for frontend in frontends:
        _announce(f"{frontend.name}: started" if "bots" in roles else
                  f"{frontend.name}: skipped (not in --only)")  # fmt: skip
    for line in skipped:
        _announce(line)
    if settings.stripe_secret_key is None:
        _announce("billing: skipped (STRIPE_SECRET_KEY is not set)")


@dataclass(frozen=True, slots=True)
class DemoOptions:
    duration_seconds: float | None = None  # None: until Ctrl+C
    check_seconds: int = 15
    echo_delay_seconds: float = 8.0
    listings_per_minute: float = 4.0
    database_dir: Path | None = None


@asynccontextmanager
async def _demo_database(options: DemoOptions) -> AsyncIterator[str]:
    if options.database_dir is not None:
        yield f"sqlite://{options.database_dir / 'demo.sqlite3'}"
        return
    with tempfile.TemporaryDirectory(prefix="marketplace-monitor-demo-") as folder:
        yield f"sqlite://{Path(folder) / 'demo.sqlite3'}"


async def run_demo(options: DemoOptions, source: TextIO, out: TextIO) -> None:
    """`marketplace-monitor demo`: a sandbox, the runner and the console chat, offline."""
    sandbox = SandboxConfig(
        listings_per_minute=options.listings_per_minute,
        echo_delay_seconds=options.echo_delay_seconds,
    )
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(_demo_database(options))
        await stack.enter_async_context(open_database(url))
        await templates.seed_templates()
        sandbox_url = await stack.enter_async_context(running_sandbox(sandbox))
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=HTTP_TIMEOUT))
        marketplaces: dict[str, Marketplace] = {"sandbox": SandboxMarketplace(http, sandbox_url)}
        notifier = ConsoleNotifier(out)
        tiers = TierTable.demo(options.check_seconds)
        # Demo checks are seconds apart: a shared fetch must not outlive one.
        demo_options = RunnerOptions(idle_sleep_seconds=0.5, share_window_seconds=2.0)
        runner = Runner(marketplaces, options=demo_options)
        dispatcher = Dispatcher({"console": notifier})
        session = await _console_session(SearchService(tiers, marketplaces), runner)
        out.write(
            f"Demo mode: an offline sandbox marketplace at {sandbox_url}; checks run every "
            f"{options.check_seconds} s instead of minutes. Ctrl+C stops.\n\n"
        )
        chat = ConsoleChat(session, source, out, kept=True)
        jobs: dict[str, Callable[[], Awaitable[None]]] = {
            "runner": runner.run,
            "dispatcher": dispatcher.run,
            "console": lambda: _chat_then_wait(chat, out),
        }
        if options.duration_seconds is not None:
            jobs["timer"] = lambda: asyncio.sleep(options.duration_seconds or 0)
        await _supervise(jobs, may_end=frozenset({"timer"}))
    out.write("Demo stopped.\n")
    out.flush()


async def _console_session(searches: SearchService, runner: Runner) -> ChatSession:
    account = await accounts.identify(Platform.CONSOLE, "local", "you")
    if account.tier is Tier.FREE:
        # The demo user gets the top tier so every feature can be tried.
        account.tier = Tier.BUSINESS
        await account.save(update_fields=["tier"])
    destination = await accounts.destination_for(account, Platform.CONSOLE, CONSOLE_CHAT_ID)
    return ChatSession(ChatServices(searches, runner.prime), account, destination)


async def _chat_then_wait(chat: ConsoleChat, out: TextIO) -> None:
    await chat.run()
    out.write("(input ended; still watching — alerts keep printing. Ctrl+C stops.)\n")
    out.flush()
    await asyncio.Event().wait()  # until the supervisor cancels us
