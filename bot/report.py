"""The start-up report of ``run``: one line per component, started or skipped and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.frontends import ChatFrontend
from bot.settings import Settings
from core.ports import Marketplace

__all__ = ["announce", "report_components"]


def announce(line: str) -> None:
    print(line, flush=True)


def report_components(
    settings: Settings,
    marketplaces: Mapping[str, Marketplace],
    channels: Sequence[str],
    frontends: Sequence[ChatFrontend],
    skipped: Sequence[str],
    roles: Sequence[str],
) -> None:
    database = "SQLite (one process)" if settings.is_sqlite else "Postgres"
    announce(f"database: {database}, migrations applied")
    names = ", ".join(marketplaces) or "none (set SANDBOX_URL or a marketplace's credentials)"
    channel_names = ", ".join(channels) or "none yet"
    started = {
        "runner": f"runner: started; marketplaces: {names}",
        "dispatcher": f"dispatcher: started; channels: {channel_names}",
        "web": f"web: listening on http://{settings.web_host}:{settings.web_port}",
    }
    for role, line in started.items():
        announce(line if role in roles else f"{role}: skipped (not in --only)")
    for frontend in frontends:
        announce(_frontend_line(frontend.name, roles))
    for line in skipped:
        announce(line)
    if settings.stripe_secret_key is None:
        announce("billing: skipped (STRIPE_SECRET_KEY is not set)")


def _frontend_line(name: str, roles: Sequence[str]) -> str:
    if "bots" in roles:
        return f"{name}: started"
    if "dispatcher" in roles:  # connected to deliver the dispatcher's alerts, no updates
        return f"{name}: sending only (bots not in --only)"
    return f"{name}: skipped (not in --only)"
