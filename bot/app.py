"""The composition root: the one place that reads Settings and wires concrete adapters.

``run`` starts everything the settings configure; ``demo`` runs the whole loop offline
(sandbox marketplace + console chat) on a throwaway database.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from billing.setup import find_prices
from billing.stripe_gateway import StripeGateway, stripe_client
from bot.bootstrap import BootConfig, Monitor, Verifiers, bootstrap
from bot.console import CONSOLE_CHAT_ID, ConsoleChat, ConsoleNotifier
from bot.conversation import ChatServices, ChatSession
from bot.frontends import ChatFrontend
from bot.redaction import url_password
from bot.report import announce, report_components
from bot.settings import SCRAPED_MARKETPLACES, Settings
from bot.supervise import Job, stop_on_signals, supervise
from core import accounts, templates
from core.billing import BillingService
from core.db import is_sqlite, open_database, sqlite_single_process
from core.dispatcher import DispatcherOptions
from core.enums import Channel, Platform, Tier
from core.errors import ComponentFailed, ConfigurationError, PaymentError
from core.feeds import DatabaseFeedHost
from core.inbox import InboxOptions
from core.ports import Marketplace, Notifier
from core.quota import DailyQuota
from core.retention import RetentionOptions
from core.runner import RunnerOptions
from core.searches import SearchService
from core.tiers import TierTable
from core.verification import CodeSender
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
from scrapers.ebay import EbayMarketplace, quota_reset_zone
from scrapers.ecb import EcbRates
from scrapers.facebook import BrowserConfig, FacebookBrowser, FacebookMarketplace, find_chromium
from scrapers.gumtree import GumtreeMarketplace
from web import HealthProbe, build_web_app, serve_web
from web.api import ApiOptions, add_api_routes
from web.app import RouteAdder
from web.billing import add_billing_routes

logger = logging.getLogger(__name__)

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


@dataclass(frozen=True, slots=True)
class DeliveryAdapters:
    """The configured email/SMS/webhook notifiers, who of them verifies addresses, and a
    line for each channel skipped."""

    notifiers: dict[str, Notifier]
    verifiers: Verifiers
    skipped: list[str]


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
    """The marketplaces to run: eBay when its keys are set, the sandbox when SANDBOX_URL is,
    and each scraped site only when MARKETPLACES names it (an operator never scrapes a site by
    surprise). A named marketplace that cannot run fails fast, naming what is missing.

    Facebook needs the process's one browser (``facebook_browser_config``).
    """
    named = settings.marketplace_names
    found: dict[str, Marketplace] = {}
    _add_keyed(found, settings, http)
    for name in ("ebay", "sandbox"):
        if name in named and name not in found:
            what = "EBAY_CLIENT_ID and EBAY_CLIENT_SECRET" if name == "ebay" else "SANDBOX_URL"
            raise ConfigurationError(f"MARKETPLACES names {name}, but {what} is not set")
    if "craigslist" in named:
        found["craigslist"] = CraigslistMarketplace(
            http,
            site_url=settings.craigslist_url,
            api_url=str(settings.craigslist_api_url),
            reference_url=str(settings.craigslist_reference_url),
        )
    if "gumtree" in named:
        found["gumtree"] = GumtreeMarketplace(http, str(settings.gumtree_url))
    if "facebook" in named:
        if browser is None:
            raise ConfigurationError(
                "MARKETPLACES names facebook, but no Chromium was found: install chromium "
                "or set BROWSER_EXECUTABLE"
            )
        found["facebook"] = FacebookMarketplace(browser, str(settings.facebook_url))
    _log_choice(settings, found)
    return found


def _add_keyed(
    found: dict[str, Marketplace], settings: Settings, http: aiohttp.ClientSession
) -> None:
    if settings.sandbox_url is not None:
        found["sandbox"] = SandboxMarketplace(http, str(settings.sandbox_url).rstrip("/"))
    if settings.ebay_client_id and settings.ebay_client_secret is not None:
        found["ebay"] = EbayMarketplace(
            http,
            client_id=settings.ebay_client_id,
            client_secret=settings.ebay_client_secret.get_secret_value(),
            api_url=str(settings.ebay_api_url),
            marketplace_id=settings.ebay_marketplace_id,
            quota=DailyQuota("ebay", settings.ebay_daily_call_quota, reset_tz=quota_reset_zone()),
            # Category feeds (issue 18): many distinct queries on one key's daily calls.
            feeds=DatabaseFeedHost() if settings.ebay_feeds else None,
            daily_calls=settings.ebay_daily_call_quota,
        )


def _log_choice(settings: Settings, found: Mapping[str, Marketplace]) -> None:
    logger.info(
        "marketplaces: %s (MARKETPLACES=%r)", ", ".join(found) or "none", settings.marketplaces
    )
    if "ebay" not in found:
        logger.info("ebay: skipped (EBAY_CLIENT_ID and EBAY_CLIENT_SECRET are not set)")
    for name in SCRAPED_MARKETPLACES:
        if name not in found:
            logger.info("%s: skipped (not named in MARKETPLACES)", name)


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


def api_routes(settings: Settings, searches: SearchService) -> Callable[[web.Application], None]:
    """The JSON API's routes, with its limits from Settings (API_RATE_LIMIT, API_MAX_BODY_BYTES)."""
    options = ApiOptions(
        rate_limit_per_minute=settings.api_rate_limit, max_body_bytes=settings.api_max_body_bytes
    )
    return functools.partial(
        add_api_routes, searches=searches, options=options, public_url=str(settings.public_url)
    )


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


def build_delivery_notifiers(settings: Settings, http: aiohttp.ClientSession) -> DeliveryAdapters:
    """Email / SMS / webhook notifiers that are configured, and a line for each one skipped.

    Email: SendGrid when SENDGRID_API_KEY is set, else SMTP_URL; both need EMAIL_FROM.
    Webhooks need no provider and are always on (behind the SSRF guard).
    """
    links = Links(str(settings.public_url))
    allow_private = settings.webhook_allow_private_targets
    webhook = WebhookNotifier(allow_private=allow_private)
    found: dict[str, Notifier] = {"webhook": webhook}
    senders: dict[Channel, CodeSender] = {}
    skipped = ["webhook: PRIVATE TARGETS ALLOWED (local testing only)"] if allow_private else []
    sender = settings.email_from
    if settings.sendgrid_api_key is None and settings.smtp_url is None:
        skipped.append("email: skipped (set SENDGRID_API_KEY or SMTP_URL, and EMAIL_FROM)")
    elif sender is None:
        skipped.append("email: skipped (EMAIL_FROM is not set)")
    elif settings.sendgrid_api_key is not None:
        key = settings.sendgrid_api_key.get_secret_value()
        sendgrid = SendgridNotifier(key, sender, links, api_url=str(settings.sendgrid_api_url))
        found["email"] = senders[Channel.EMAIL] = sendgrid
    elif settings.smtp_url is not None:
        server = SmtpServer.from_url(settings.smtp_url.get_secret_value())
        found["email"] = senders[Channel.EMAIL] = SmtpNotifier(server, sender, links)
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if sid and token and settings.twilio_from_number:
        found["sms"] = senders[Channel.SMS] = TwilioNotifier(
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
    # Email and SMS notifiers send the codes that prove their addresses; the webhook
    # notifier proves a URL by a signed test delivery.
    return DeliveryAdapters(found, Verifiers(senders, webhook), skipped)


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
    else:
        # Imported here so discord.py is only loaded when a bot is configured.
        from bot.discord import DiscordConfig, DiscordFrontend

        discord_config = DiscordConfig(
            token=settings.discord_bot_token.get_secret_value(),
            api_url=str(settings.discord_api_url).rstrip("/"),
            gateway_url=settings.discord_gateway_url,
            guild_id=settings.discord_guild_id,
            shard_count=settings.discord_shard_count,
            shard_ids=settings.discord_shards,
            member_check_seconds=settings.discord_member_check_seconds,
            inbox=InboxOptions(
                max_pending=settings.inbox_max_pending,
                max_pending_per_chat=settings.inbox_max_pending_per_chat,
            ),
            # Below the delivery lease, so an alert never waits out a 429 past its lease.
            max_ratelimit_seconds=min(30.0, settings.delivery_lease_seconds / 4),
        )
        frontends.append(DiscordFrontend(discord_config, services))
    return frontends, skipped


# --- the process ---------------------------------------------------------------------------


def boot_config(settings: Settings) -> BootConfig:
    """The loops' tunables for ``run``, from Settings."""
    postgres = not is_sqlite(settings.database_url)
    return BootConfig(
        runner=RunnerOptions(
            skip_locked=postgres,
            max_concurrent_writes=4 if postgres else 1,
            lease_seconds=settings.check_lease_seconds,
            share_window_seconds=settings.fetch_share_seconds,
        ),
        dispatcher=DispatcherOptions(
            skip_locked=postgres, lease_seconds=settings.delivery_lease_seconds
        ),
        retention=RetentionOptions(days=settings.retention_days),
    )


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


ROLES = ("runner", "dispatcher", "web", "bots")


def check_billing_settings(settings: Settings) -> None:
    """Billing without webhooks would take money and change nothing: refuse to start."""
    if settings.stripe_secret_key is not None and settings.stripe_webhook_secret is None:
        raise ComponentFailed(
            "billing",
            "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: set it to the endpoint's "
            "signing secret (whsec_..., from `stripe listen` or the Stripe dashboard); without "
            "webhooks payments would change no plan",
        )


def price_overrides(settings: Settings) -> dict[Tier, str | None]:
    return {
        Tier.STARTER: settings.stripe_price_starter,
        Tier.PRO: settings.stripe_price_pro,
        Tier.BUSINESS: settings.stripe_price_business,
    }


async def build_billing(
    settings: Settings, stack: AsyncExitStack, tiers: TierTable, monitor: Monitor
) -> BillingService | None:
    """Stripe billing when STRIPE_SECRET_KEY is set: the prices (STRIPE_PRICE_* or found by
    lookup key, as `stripe-setup` made them) and the core service on the Stripe gateway."""
    check_billing_settings(settings)
    if settings.stripe_secret_key is None:
        return None
    client = await stack.enter_async_context(
        stripe_client(settings.stripe_secret_key.get_secret_value(), str(settings.stripe_api_url))
    )
    prices = {t: p for t, p in price_overrides(settings).items() if p}
    if len(prices) < len(price_overrides(settings)):
        try:
            prices = {**await find_prices(client), **prices}
        except PaymentError as exc:  # a Stripe outage must not stop the service: ask later
            logger.warning("billing: prices not read from Stripe yet: %s", exc)
        if not prices:
            logger.warning("billing: no prices in Stripe: run `marketplace-monitor stripe-setup`")
    return BillingService(
        StripeGateway(client),
        prices,
        tiers,
        str(settings.public_url),
        clock=monitor.searches.clock,
        metrics=monitor.metrics,
        find_prices=lambda: find_prices(client),
    )


def billing_routes(
    settings: Settings, billing: BillingService | None, frontends: Sequence[ChatFrontend] = ()
) -> list[RouteAdder]:
    if billing is None or settings.stripe_webhook_secret is None:
        return []
    secret = settings.stripe_webhook_secret.get_secret_value()
    tiers = billing.tiers

    def add(app: web.Application) -> None:
        link = lambda: chat_link(frontends)  # noqa: E731 - known once a bot is connected
        add_billing_routes(app, billing, webhook_secret=secret, tiers=tiers, bot_link=link)

    return [add]


def chat_link(frontends: Sequence[ChatFrontend]) -> str:
    """Where /billing/success sends the user back to: the Telegram bot's t.me link."""
    for frontend in frontends:
        username = getattr(getattr(frontend, "application", None), "bot", None)
        try:
            name = username.username if username is not None else None
        except RuntimeError:  # not connected yet
            name = None
        if name:
            return f"https://t.me/{name}"
    return ""


async def run_service(settings: Settings, roles: Sequence[str] = ROLES) -> None:
    """`marketplace-monitor run`: migrations, runner, dispatcher, web, and each chat bot.

    ``roles`` lets an operator scale each part on its own machines (Postgres only).
    """
    check_billing_settings(settings)  # before anything starts: a refusal must be quick
    async with AsyncExitStack() as stack:
        # From the first moment: a SIGTERM while starting up is a clean stop, once started.
        stop = stack.enter_context(stop_on_signals(asyncio.Event()))
        stack.enter_context(sqlite_single_process(settings.database_url))
        await stack.enter_async_context(open_database(settings.database_url))
        await templates.seed_templates()
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=HTTP_TIMEOUT))
        # One Chromium, started on first use; only when Facebook is to be scraped.
        wants_facebook = "facebook" in settings.marketplace_names
        browser_config = facebook_browser_config(settings) if wants_facebook else None
        browser = None
        if browser_config is not None:
            browser = await stack.enter_async_context(FacebookBrowser(browser_config))
        marketplaces = build_marketplaces(settings, http, browser=browser)
        delivery = build_delivery_notifiers(settings, http)
        monitor = bootstrap(
            boot_config(settings),
            marketplaces=marketplaces,
            notifiers=delivery.notifiers,
            tiers=TierTable.default(),
            verifiers=delivery.verifiers,
            # A sandbox run with --echo-delay lists something each saved search matches.
            watchers=[m for m in marketplaces.values() if isinstance(m, SandboxMarketplace)],
            rates=EcbRates(http, str(settings.ecb_rates_url)),
        )
        for marketplace in marketplaces.values():  # the feeds' figures on /metrics
            if isinstance(marketplace, EbayMarketplace) and marketplace.feeds is not None:
                marketplace.feeds.metrics = monitor.metrics
        billing = await build_billing(settings, stack, monitor.chat.searches.tiers, monitor)
        if billing is not None:
            monitor.chat = replace(monitor.chat, billing=billing)
        frontends, skipped_chats = build_chat_frontends(settings, http, monitor.chat)
        for frontend in frontends:
            monitor.add_notifier(frontend.name, frontend.notifier)
        skipped = delivery.skipped + skipped_chats
        report_components(
            settings, marketplaces, list(monitor.notifiers), frontends, skipped, roles
        )
        runner_tick = (lambda: monitor.runner.last_tick_at) if "runner" in roles else None
        health = HealthProbe(runner_last_tick=runner_tick)
        web_app = build_web_app(
            metrics=monitor.metrics,
            health=health,
            extra_routes=[
                api_routes(settings, monitor.searches),
                *(f.add_web_routes for f in frontends),
                *billing_routes(settings, billing, frontends),
            ],
            listing_domains=listing_domains(settings),
            metrics_token=metrics_token(settings),
            keys=monitor.keys,
        )
        jobs: dict[str, Job] = {
            "runner": monitor.runner.run,
            "dispatcher": monitor.dispatcher.run,
            "web": lambda: _serve_web(web_app, settings.web_host, settings.web_port),
        }
        jobs = {name: job for name, job in jobs.items() if name in roles}
        if "bots" in roles:
            jobs.update({f.name: f.run for f in frontends})
        elif "dispatcher" in roles:
            # The dispatcher delivers chat alerts and notices through the bots' notifiers,
            # which need a connected bot even where nobody's updates are taken.
            jobs.update({f.name: f.run_sending_only for f in frontends})
        drains = {
            "runner": monitor.runner.request_stop,
            "dispatcher": monitor.dispatcher.request_stop,
            **{f.name: f.request_stop for f in frontends},
        }
        await supervise(jobs, drains, stop=stop)
    announce("Stopped cleanly.")


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
        sandbox_market = SandboxMarketplace(http, sandbox_url)
        marketplaces: dict[str, Marketplace] = {"sandbox": sandbox_market}
        # Demo checks are seconds apart: a shared fetch must not outlive one.
        demo_options = RunnerOptions(idle_sleep_seconds=0.5, share_window_seconds=2.0)
        monitor = bootstrap(
            BootConfig(runner=demo_options),
            marketplaces=marketplaces,
            notifiers={"console": ConsoleNotifier(out)},
            tiers=TierTable.demo(options.check_seconds),
            # The sandbox hears of each saved search and lists something it matches.
            watchers=[sandbox_market],
        )
        session = await _console_session(monitor.chat)
        out.write(
            f"Demo mode: an offline sandbox marketplace at {sandbox_url}; checks run every "
            f"{options.check_seconds} s instead of minutes, and you are on the Business plan "
            "so every feature can be tried. Ctrl+C stops.\n\n"
        )
        chat = ConsoleChat(session, source, out, kept=True)
        jobs: dict[str, Job] = {
            "runner": monitor.runner.run,
            "dispatcher": monitor.dispatcher.run,
            "console": lambda: _chat_then_wait(chat, out),
        }
        if options.duration_seconds is not None:
            jobs["timer"] = lambda: asyncio.sleep(options.duration_seconds or 0)
        await supervise(jobs, may_end=frozenset({"timer"}))
    out.write("Demo stopped.\n")
    out.flush()


async def _console_session(services: ChatServices) -> ChatSession:
    account = await accounts.identify(Platform.CONSOLE, "local", "you")
    if account.tier is Tier.FREE:
        # The demo user gets the top tier so every feature can be tried.
        account.tier = account.comp_tier = Tier.BUSINESS  # a comp: nothing may lower it
        await account.save(update_fields=["tier", "comp_tier"])
    destination = await accounts.destination_for(account, Platform.CONSOLE, CONSOLE_CHAT_ID)
    return ChatSession(services, account, destination)


async def _chat_then_wait(chat: ConsoleChat, out: TextIO) -> None:
    await chat.run()
    out.write("(input ended; still watching — alerts keep printing. Ctrl+C stops.)\n")
    out.flush()
    await asyncio.Event().wait()  # until the supervisor cancels us
