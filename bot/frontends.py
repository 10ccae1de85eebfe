"""What bot/app.py needs from a chat front-end (Telegram, Discord) to run it in the process."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from core.ports import Notifier


class ChatFrontend(Protocol):
    """A chat platform's bot: its own loop, its alert delivery, and optional web routes."""

    @property
    def name(self) -> str: ...

    @property
    def notifier(self) -> Notifier:
        """Delivers alerts whose destination is on this platform (route = platform name)."""
        ...

    async def run(self) -> None:
        """Serve users until cancelled or ``request_stop`` (polling, or webhooks arriving)."""
        ...

    async def run_sending_only(self) -> None:
        """Only deliver (the notifier works), take no updates, until ``request_stop``."""
        ...

    def request_stop(self) -> None:
        """Stop taking updates; ``run`` returns within a few seconds, work not done kept."""
        ...

    def add_web_routes(self, app: web.Application) -> None:
        """Mount webhook routes on the process's web app; a no-op when polling."""
        ...
