"""What the Discord front-end needs from Settings, and where discord.py is pointed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from core.errors import ConfigurationError
from core.inbox import InboxOptions

_TOKEN_FORM = re.compile(r"[A-Za-z0-9_.\-]{20,200}")


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token: str = field(repr=False)
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"
    guild_id: int | None = None  # commands registered in this server only (instant; testing)
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    inbox: InboxOptions = field(default_factory=InboxOptions)
    # discord.py waits out a 429 itself up to this long (its minimum is 30 s); a longer
    # wait raises, and the alert goes back to the outbox instead of holding its lease.
    max_ratelimit_seconds: float = 30.0
    # The round over channel searches' creators (bot/discord/members.py).
    member_check_seconds: float = 600.0
    start_retries: int = 8
    stop_grace_seconds: float = 3.0

    def check(self) -> None:
        if not _TOKEN_FORM.fullmatch(self.token):
            raise ConfigurationError(
                "DISCORD_BOT_TOKEN: not a bot token (copy it from the Developer Portal's Bot page)"
            )
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ConfigurationError("DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT too")
            bad = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
            if bad:
                raise ConfigurationError(
                    f"DISCORD_SHARD_IDS: {bad} not within 0..{self.shard_count - 1}"
                )

    @property
    def syncs_commands(self) -> bool:
        """Only the process holding shard 0 registers the commands (one writer)."""
        return self.shard_ids is None or 0 in self.shard_ids


def point_discord_py(api_url: str, gateway_url: str) -> None:
    """Aim discord.py at ``api_url`` and ``gateway_url``.

    discord.py keeps both as process-wide class attributes (``Route.BASE`` for every REST
    call, webhooks and interaction callbacks included; ``DiscordWebSocket.DEFAULT_GATEWAY``
    for the first connection, before READY hands out ``resume_gateway_url``). There is no
    per-client option, so they are set here, once, by the front-end before any client is
    built; every Discord client in a process talks to the same Discord anyway.
    """
    Route.BASE = api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url.rstrip("/") + "/")
