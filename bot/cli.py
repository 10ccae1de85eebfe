"""`marketplace-monitor` (also `python -m bot`): run, demo, migrate, sandbox, facebook-login,
probe, stripe-setup, account."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import AsyncExitStack

import aiohttp

from billing.setup import stripe_setup
from billing.stripe_gateway import API_VERSION as STRIPE_API_VERSION
from billing.stripe_gateway import stripe_client
from bot.app import (
    HTTP_TIMEOUT,
    ROLES,
    DemoOptions,
    build_marketplaces,
    facebook_browser_config,
    log_secrets,
    price_overrides,
    run_demo,
    run_service,
)
from bot.logs import configure_logging
from bot.probe import ProbeTarget, probe, render
from bot.redaction import Redactor
from bot.settings import KNOWN_MARKETPLACES, Settings, load_settings
from core.billing import set_comp
from core.billing import summaries as billing_summaries
from core.db import open_database
from core.enums import Tier
from core.errors import ComponentFailed, ConfigurationError, MarketplaceError, PaymentError
from core.tiers import TierTable
from scrapers import SandboxConfig, serve_sandbox
from scrapers.facebook import (
    BrowserConfig,
    FacebookBrowser,
    LoginTimedOut,
    facebook_login,
    find_chromium,
)

DESCRIPTION = """\
Marketplace Monitor watches second-hand marketplaces and posts every new listing that
matches your searches into your Telegram or Discord chat.

Settings come from the environment or a .env file (see README.md)."""

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="marketplace-monitor",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run everything that is configured: migrations, runner, alerts, web, chat bots",
        description="Apply migrations, then run the runner, the alert dispatcher, the web "
        "server and every chat bot whose token is set. One line per component says what "
        "started or why it was skipped. SIGINT/SIGTERM stop it cleanly.",
    )
    run.add_argument(
        "--only",
        type=_roles,
        default=list(ROLES),
        metavar="ROLES",
        help="run only these parts, comma-separated from: " + ", ".join(ROLES) + " (default: "
        "all). On Postgres, start as many processes of each part as you need.",
    )
    demo = commands.add_parser(
        "demo",
        help="try it offline: a sandbox marketplace and a chat in this terminal",
        description="Start a local sandbox marketplace, the runner and the console chat on a "
        "throwaway SQLite database; nothing to configure. Commands can also come on stdin.",
    )
    demo.add_argument(
        "--for",
        dest="duration",
        type=float,
        metavar="SECONDS",
        help="stop after this many seconds (default: run until Ctrl+C)",
    )
    demo.add_argument(
        "--check-seconds",
        type=int,
        default=15,
        help="how often demo searches are checked (default: 15)",
    )
    demo.add_argument(
        "--echo-delay",
        type=float,
        default=8.0,
        metavar="SECONDS",
        help="how soon after a new search's first check the sandbox lists an item it "
        "matches (default: 8)",
    )
    commands.add_parser(
        "migrate",
        help="apply database migrations and exit",
        description="Apply every migration not yet applied to DATABASE_URL, then exit.",
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="serve the sandbox marketplace alone",
        description="Serve the sandbox marketplace: a local site that invents realistic "
        "listings over time. Point SANDBOX_URL at it.",
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8090)
    sandbox.add_argument("--seed", type=int, default=7)
    sandbox.add_argument("--listings-per-minute", type=float, default=6.0)
    sandbox.add_argument("--initial-stock", type=int, default=500, help="listings on sale at start")
    sandbox.add_argument("--latency-ms", type=float, default=0.0)
    sandbox.add_argument("--error-rate", type=float, default=0.0)
    sandbox.add_argument(
        "--echo-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="list a catalogue item each saved search matches, this long after its first check",
    )
    login = commands.add_parser(
        "facebook-login",
        help="log in to Facebook once in a visible browser and save the session",
        description="Open Chromium on Facebook's login page; log in by hand (and pass any "
        "security check). The session is then saved to FACEBOOK_STATE_FILE, which the "
        "Facebook Marketplace scraper loads. Needs a screen; run it again when Facebook "
        "logs the session out.",
    )
    login.add_argument(
        "--wait-minutes",
        type=float,
        default=10.0,
        help="how long to wait for the login to finish (default: 10)",
    )
    _add_probe(commands)
    _add_billing(commands)
    return parser


def _add_billing(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    setup = commands.add_parser(
        "stripe-setup",
        help="create (or find) the Stripe products, prices and portal configuration",
        description="In the Stripe account of STRIPE_SECRET_KEY, create or find by lookup key "
        "one Product and a monthly GBP Price per paid tier (from the tier table), and the "
        "Customer Portal configuration; running it again changes nothing. Prints the ids. "
        "STRIPE_PRICE_STARTER / _PRO / _BUSINESS override the prices.",
    )
    setup.add_argument(
        "--webhook-url",
        help="also create the webhook endpoint at this URL (e.g. https://host/stripe/webhook), "
        "on the API version the Stripe library pins; prints its signing secret once",
    )
    account = commands.add_parser(
        "account",
        help="show, list or comp accounts (support)",
        description="Look at accounts and give comps. A comp tier is kept apart from what "
        "Stripe's subscription pays for: the account gets the higher of the two, and Stripe "
        "never lowers a comp.",
    )
    actions = account.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="one account's plan, subscription and searches")
    show.add_argument("account_id", type=int)
    listing = actions.add_parser("list", help="accounts, oldest first")
    listing.add_argument("--limit", type=int, default=100)
    set_tier = actions.add_parser("set-tier", help="comp an account a tier ('none' ends a comp)")
    set_tier.add_argument("account_id", type=int)
    set_tier.add_argument("tier", choices=[t.value for t in Tier] + ["none"])


def _add_probe(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probe_command = commands.add_parser(
        "probe",
        help="one live request per configured marketplace, with field coverage",
        description="From the machine the service runs on, send one search to each configured "
        "marketplace (or those named) within its pacing, and print whether it answered, how "
        "many listings it parsed, how many have a price, place, image and posted time, how "
        "long it took, and what to do on failure (keys, login, block, rate limit). Exits "
        "non-zero if any marketplace failed, so it can run from cron.",
    )
    probe_command.add_argument(
        "marketplaces",
        nargs="*",
        type=_marketplace,
        metavar="MARKETPLACE",
        help="which to probe (default: every configured one): " + ", ".join(KNOWN_MARKETPLACES),
    )
    probe_command.add_argument("--query", default="bike", help="the words to search for")
    probe_command.add_argument("--place", default="", help="a place, where a site wants one")
    probe_command.add_argument(
        "--craigslist-site", default="sfbay", help="the Craigslist site to search (sfbay)"
    )


def _marketplace(text: str) -> str:
    name = text.strip().lower()
    if name not in KNOWN_MARKETPLACES:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(KNOWN_MARKETPLACES)}")
    return name


def _roles(text: str) -> list[str]:
    roles = [r.strip() for r in text.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise argparse.ArgumentTypeError(
            f"choose from {', '.join(ROLES)} (got {', '.join(unknown) or 'nothing'})"
        )
    return roles


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    # First, before anything can log: every record is redacted with these secrets.
    redactor = Redactor(log_secrets(settings))
    configure_logging(
        "WARNING" if args.command == "demo" else settings.log_level,
        settings.log_format.value,
        redactor,
    )
    try:
        asyncio.run(_dispatch(args, settings))
    except ConfigurationError as exc:
        return _fail(redactor, str(exc), 2)
    except ComponentFailed as exc:
        return _fail(redactor, str(exc), 1)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line here, the redacted traceback at DEBUG
        logger.debug("%s failed", args.command, exc_info=exc)
        return _fail(redactor, f"{args.command}: failed: {type(exc).__name__}: {exc}", 1)
    return 0


def _fail(redactor: Redactor, line: str, status: int) -> int:
    """One line on stderr that names the setting or component, then the exit status."""
    print(redactor.redact(" ".join(line.splitlines())), file=sys.stderr, flush=True)
    return status


async def _dispatch(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "run":
        await run_service(settings, args.only)
    elif args.command == "demo":
        options = DemoOptions(
            duration_seconds=args.duration,
            check_seconds=args.check_seconds,
            echo_delay_seconds=args.echo_delay,
        )
        await run_demo(options, sys.stdin, sys.stdout)
    elif args.command == "migrate":
        async with open_database(settings.database_url):
            print("Migrations applied.")
    elif args.command == "sandbox":
        config = SandboxConfig(
            seed=args.seed,
            listings_per_minute=args.listings_per_minute,
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            echo_delay_seconds=args.echo_delay,
            initial_stock=args.initial_stock,
        )
        print(f"Sandbox marketplace on http://{args.host}:{args.port}", flush=True)
        await serve_sandbox(config, args.host, args.port)
    elif args.command == "facebook-login":
        await _facebook_login(settings, args.wait_minutes)
    elif args.command == "probe":
        await _probe(settings, args)
    elif args.command == "stripe-setup":
        await _stripe_setup(settings, args.webhook_url)
    elif args.command == "account":
        await _account(settings, args)


async def _stripe_setup(settings: Settings, webhook_url: str | None) -> None:
    if settings.stripe_secret_key is None:
        raise ConfigurationError("STRIPE_SECRET_KEY is not set: stripe-setup needs your key")
    async with stripe_client(
        settings.stripe_secret_key.get_secret_value(), str(settings.stripe_api_url)
    ) as client:
        try:
            result = await stripe_setup(
                client,
                TierTable.default(),
                overrides=price_overrides(settings),
                return_url=str(settings.public_url),
                webhook_url=webhook_url,
            )
        except PaymentError as exc:
            raise ComponentFailed("stripe-setup", str(exc)) from exc
    for tier, price in result.prices.items():
        product = result.products.get(tier, "(STRIPE_PRICE override)")
        print(f"{tier.value}: price {price}, product {product}")
    print(f"portal configuration: {result.portal_configuration}")
    if result.webhook_endpoint:
        print(f"webhook endpoint: {result.webhook_endpoint} (API version {STRIPE_API_VERSION})")
    if result.webhook_secret:
        print(f"STRIPE_WEBHOOK_SECRET={result.webhook_secret}")
    print(f"created: {', '.join(result.created)}" if result.created else "nothing to create")


async def _account(settings: Settings, args: argparse.Namespace) -> None:
    async with open_database(settings.database_url):
        if args.account_command == "set-tier":
            tier = None if args.tier == "none" else Tier(args.tier)
            await set_comp(args.account_id, tier, TierTable.default())
            ids: list[int] | None = [args.account_id]
        elif args.account_command == "show":
            ids = [args.account_id]
        else:
            ids = None
        found = await billing_summaries(ids, limit=getattr(args, "limit", 100))
    if ids is not None and not found:
        raise ConfigurationError(f"there is no account #{ids[0]}")
    for row in found:
        end = f" until {row.period_end:%Y-%m-%d}" if row.period_end else ""
        print(
            f"#{row.id} {row.tier.value} (stripe: {_tier_name(row.stripe_tier)}, "
            f"comp: {_tier_name(row.comp_tier)}) subscription: "
            f"{row.stripe_subscription_id or '-'} {row.subscription_status or ''}{end} "
            f"customer: {row.stripe_customer_id or '-'} searches: {row.searches} "
            f"since {row.created_at:%Y-%m-%d}"
        )


def _tier_name(tier: Tier | None) -> str:
    return tier.value if tier is not None else "-"


async def _probe(settings: Settings, args: argparse.Namespace) -> None:
    target = ProbeTarget(
        keywords=args.query,
        location=args.place,
        extra={"craigslist": (("site", args.craigslist_site),)},
    )
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=HTTP_TIMEOUT))
        browser = None
        config = (
            facebook_browser_config(settings) if "facebook" in settings.marketplace_names else None
        )
        if config is not None:
            browser = await stack.enter_async_context(FacebookBrowser(config))
        marketplaces = build_marketplaces(settings, http, browser=browser)
        results = await probe(marketplaces, args.marketplaces, target)
    print(render(results), flush=True)
    if not results or not all(r.ok for r in results):
        raise SystemExit(1)


async def _facebook_login(settings: Settings, wait_minutes: float) -> None:
    state_file = settings.facebook_state_file
    if state_file is None:
        raise ConfigurationError(
            "FACEBOOK_STATE_FILE is not set: set it to where the login should be kept, "
            "e.g. FACEBOOK_STATE_FILE=data/facebook-state.json"
        )
    executable = find_chromium(settings.browser_executable)
    if executable is None:
        raise ConfigurationError("BROWSER_EXECUTABLE: no Chromium found; install chromium")
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise ConfigurationError(
            "facebook-login opens a visible browser, and this session has no screen (DISPLAY "
            "is not set). Run it on a machine with a desktop, then copy the saved file to "
            "FACEBOOK_STATE_FILE here."
        )
    try:
        await facebook_login(
            BrowserConfig(executable, headless=False),
            str(settings.facebook_url),
            state_file,
            wait_seconds=wait_minutes * 60,
        )
    except (LoginTimedOut, MarketplaceError) as exc:
        print(f"facebook-login: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
