"""The discord.py side: the sharded client, its slash commands, and the DynamicItems that
route every press of our buttons (old alerts' too, after a restart: the ids are in the
custom_id, nothing is held in memory).

Handlers here only answer Discord within its 3 seconds (a modal, or a defer) and hand the
interaction to the front-end's intake (``Intake``); the work happens later, in the inbox
workers, in the chat's turn.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any, Protocol, Self

import discord
from discord import app_commands

from bot.conversation import registry
from bot.discord.config import DiscordConfig
from bot.discord.render import MODAL_NEWSEARCH

logger = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class Intake(Protocol):
    async def command(self, interaction: discord.Interaction, name: str, args: str) -> None: ...

    async def pressed(self, interaction: discord.Interaction, custom_id: str) -> None: ...

    async def submitted(self, interaction: discord.Interaction) -> None: ...

    async def autocomplete(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[int]]: ...

    async def failed(self, interaction: discord.Interaction | None, error: BaseException) -> None:
        """The one error handler: logs, and tells the user in words if it can."""
        ...

    def ready(self) -> None: ...


# The slash commands come from bot.conversation.registry (every command in some menu), so a
# feature's command (/plan, /upgrade, /token) is on Discord too; these are Discord's own.
OWN_COMMANDS: dict[str, str] = {
    "answer": "Answer the question I asked (typed answers)",
    "managerrole": "Servers: let a role manage this server's searches (or clear it)",
}
# Registry commands that take a search: a required option, autocompleted.
SEARCH_COMMANDS: dict[str, str] = {
    "pause": "Pause a search",
    "resume": "Resume a paused search",
    "delete": "Delete a search",
}
# Registry commands that take free text after their name: the option's hint.
TEXT_OPTIONS: dict[str, str] = {
    "token": "create NAME [read|write] [days], list, or revoke NAME",
    "verify": "The code I sent you",
    "settings": "A section and its answer (email you@example.com); empty: the menu",
    "prices": "A search's number, or its words (iphone 13)",
}
# Registry commands whose answers may hold a secret (a new API token): deferred ephemerally
# even in a DM, because Discord gives the first followup the defer's visibility, whatever
# the followup asks for.
SECRET_COMMANDS = frozenset({"token"})
# Registry commands left out here: /start is Telegram's entry point (Discord users get
# /help). /export is here: its file comes as an attachment of the (ephemeral) followup.
LEFT_OUT = frozenset({"start"})
DESCRIPTION_LIMIT = 100


def command_list() -> dict[str, str]:
    """Every plain slash command (name → description), the registry's then Discord's own."""
    listed = {
        spec.name: spec.summary[:DESCRIPTION_LIMIT]
        for spec in registry.commands()
        if spec.where and spec.summary and spec.name not in LEFT_OUT
    }
    return {**listed, **OWN_COMMANDS}


class NewSearchForm(discord.ui.Modal, title="New search"):
    """The typed part of /newsearch in one form; the rest is picked with buttons after."""

    name: discord.ui.TextInput[NewSearchForm] = discord.ui.TextInput(
        label="Name", placeholder="Cheap PS5", max_length=60, custom_id="name"
    )
    keywords: discord.ui.TextInput[NewSearchForm] = discord.ui.TextInput(
        label="Keywords", placeholder='ps5 OR xbox "series x"', max_length=200, custom_id="keywords"
    )
    exclude: discord.ui.TextInput[NewSearchForm] = discord.ui.TextInput(
        label="Excluded words (optional)",
        placeholder="broken, faulty, spares",
        required=False,
        max_length=200,
        custom_id="exclude",
    )
    price: discord.ui.TextInput[NewSearchForm] = discord.ui.TextInput(
        label="Price in £ (optional)",
        placeholder="100-300, 150, 100+ or empty for any",
        required=False,
        max_length=30,
        custom_id="price",
    )
    location: discord.ui.TextInput[NewSearchForm] = discord.ui.TextInput(
        label="Place (optional)",
        placeholder="Leeds 10 (town and miles), or empty for anywhere",
        required=False,
        max_length=80,
        custom_id="location",
    )

    def __init__(self) -> None:
        # A short timeout: the form is answered through on_interaction (any process, after
        # a restart too), this object only renders it.
        super().__init__(timeout=900, custom_id=MODAL_NEWSEARCH)


# The three templates never match the same custom_id: discord.py dispatches a press to every
# DynamicItem whose template matches, and a second one would answer the interaction twice.
# Alerts' ids are kept as they were (old alerts work after a restart); a multi-select
# question's menu is its Done action; every other id of ours (a stale or forged one too) is a
# screen press, parsed and checked in bot/discord/chats.py.
ALERT_TEMPLATE = r"mm:a:(?P<id>[0-9]{1,16}):(?P<verb>[suhn])"
SELECT_TEMPLATE = r"mm:q:[0-9]{1,19}:d:[0-9a-z]{1,8}"
SCREEN_TEMPLATE = r"mm:(?!a:[0-9]{1,16}:[suhn]\Z)(?!q:[0-9]{1,19}:d:[0-9a-z]{1,8}\Z).{1,97}"


class _Routed:
    """What every DynamicItem of ours does: it is rebuilt from its whole custom_id (nothing
    held in memory, so presses work after a restart and in any process), and a press hands
    that id to the intake, which parses and checks it (bot/discord/render.py)."""

    full_id: str

    def __init__(self, custom_id: str) -> None:
        self.full_id = custom_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> Self:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _intake(interaction).pressed(interaction, self.full_id)


class ScreenButton(
    _Routed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=SCREEN_TEMPLATE
):
    """Screen actions and a question's options (``mm:s:12:p``, ``mm:q:2:c:<ref>``)."""

    def __init__(self, custom_id: str) -> None:
        discord.ui.DynamicItem.__init__(self, discord.ui.Button(label="·", custom_id=custom_id))
        _Routed.__init__(self, custom_id)


class ScreenSelect(
    _Routed, discord.ui.DynamicItem[discord.ui.Select[Any]], template=SELECT_TEMPLATE
):
    """A multi-select question (marketplaces): its Done action; the values are indexes."""

    def __init__(self, custom_id: str) -> None:
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=custom_id, options=[discord.SelectOption(label="·")]
        )
        discord.ui.DynamicItem.__init__(self, select)
        _Routed.__init__(self, custom_id)


class AlertButton(_Routed, discord.ui.DynamicItem[discord.ui.Button[Any]], template=ALERT_TEMPLATE):
    """Save / Unsave / Hide / Unhide on an alert; the match id is in the custom_id, so an
    alert posted before a restart (or by another process) still works."""

    def __init__(self, custom_id: str) -> None:
        discord.ui.DynamicItem.__init__(self, discord.ui.Button(label="·", custom_id=custom_id))
        _Routed.__init__(self, custom_id)


def _intake(interaction: discord.Interaction) -> Intake:
    client = interaction.client
    assert isinstance(client, MonitorClient)
    return client.intake


class MonitorClient(discord.AutoShardedClient):
    """No privileged intents: only ``guilds`` (the server list and its channels). Every
    user action arrives as an interaction, which needs no intent at all."""

    def __init__(self, config: DiscordConfig, intake: Intake) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        shards: dict[str, Any] = {}
        if config.shard_ids is not None:
            shards["shard_ids"] = list(config.shard_ids)
        super().__init__(
            **shards,
            intents=intents,
            shard_count=config.shard_count,
            max_ratelimit_timeout=config.max_ratelimit_seconds,
            allowed_mentions=NO_MENTIONS,
            enable_debug_events=False,
        )
        self.config = config
        self.intake = intake
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._tree_error  # type: ignore[method-assign]
        _install_commands(self.tree, intake)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ScreenButton, ScreenSelect, AlertButton)

    async def on_ready(self) -> None:
        self.intake.ready()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            data: dict[str, Any] = dict(interaction.data or {})
            if data.get("custom_id") == MODAL_NEWSEARCH:
                await self.intake.submitted(interaction)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        import sys

        error = sys.exc_info()[1]
        interaction = next((a for a in args if isinstance(a, discord.Interaction)), None)
        await self.intake.failed(interaction, error or RuntimeError(event_method))

    async def _tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await self.intake.failed(interaction, error.__cause__ or error)

    async def sync_commands(self) -> bool:
        """Register the commands if their definitions changed; True if they were sent.

        What Discord holds is compared with ours by a hash of the normalised definitions
        (fetched with GET), so restarts and extra processes do not re-send them (each PUT
        counts against a daily limit); only the process holding shard 0 writes."""
        guild = discord.Object(self.config.guild_id) if self.config.guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        ours = [dict(c.to_dict(self.tree)) for c in self.tree.get_commands(guild=guild)]
        theirs = [dict(c.to_dict()) for c in await self.tree.fetch_commands(guild=guild)]
        if commands_hash(ours) == commands_hash(theirs):
            logger.info("discord: slash commands unchanged; not synced")
            return False
        await self.tree.sync(guild=guild)
        logger.info("discord: %d slash commands synced", len(ours))
        return True


_KEYS = ("name", "description", "options", "type", "choices", "required", "autocomplete")


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _normal(v)
            for k, v in sorted(value.items())
            if k in _KEYS and v not in (None, False, [])
        }
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def commands_hash(commands: list[dict[str, Any]]) -> str:
    """A hash of what a user sees of the commands (ids, versions and defaults left out)."""
    normal = sorted((_normal(c) for c in commands), key=lambda c: str(c.get("name")))
    return hashlib.sha256(json.dumps(normal, sort_keys=True).encode()).hexdigest()


def _install_commands(tree: app_commands.CommandTree[MonitorClient], intake: Intake) -> None:
    for name, description in command_list().items():
        if name == "answer":
            tree.add_command(_answer_command(intake))
        elif name == "managerrole":
            tree.add_command(_role_command(intake))
        elif name in TEXT_OPTIONS:
            tree.add_command(_text_command(name, description, TEXT_OPTIONS[name], intake))
        else:
            tree.add_command(_plain_command(name, description, intake))
    for name, description in SEARCH_COMMANDS.items():
        tree.add_command(_search_command(name, description, intake))


def _plain_command(
    name: str, description: str, intake: Intake
) -> app_commands.Command[Any, Any, Any]:
    async def run(interaction: discord.Interaction) -> None:
        await intake.command(interaction, name, "")

    return app_commands.Command(name=name, description=description, callback=run)


def _answer_command(intake: Intake) -> app_commands.Command[Any, Any, Any]:
    @app_commands.describe(text="Your answer")
    async def run(interaction: discord.Interaction, text: app_commands.Range[str, 1, 500]) -> None:
        await intake.command(interaction, "answer", text)

    return app_commands.Command(name="answer", description=OWN_COMMANDS["answer"], callback=run)


def _text_command(
    name: str, description: str, hint: str, intake: Intake
) -> app_commands.Command[Any, Any, Any]:
    @app_commands.describe(text=hint[:DESCRIPTION_LIMIT])
    async def run(
        interaction: discord.Interaction, text: app_commands.Range[str, 1, 500] | None = None
    ) -> None:
        await intake.command(interaction, name, text or "")

    return app_commands.Command(name=name, description=description, callback=run)


def _role_command(intake: Intake) -> app_commands.Command[Any, Any, Any]:
    @app_commands.describe(role="Members with this role manage searches here; empty: clear")
    async def run(interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        await intake.command(interaction, "managerrole", str(role.id) if role else "")

    command: app_commands.Command[Any, Any, Any] = app_commands.Command(
        name="managerrole", description=OWN_COMMANDS["managerrole"], callback=run
    )
    command.guild_only = True
    return command


def _search_command(
    name: str, description: str, intake: Intake
) -> app_commands.Command[Any, Any, Any]:
    @app_commands.describe(search="The search (start typing its name)")
    async def run(interaction: discord.Interaction, search: app_commands.Range[int, 1]) -> None:
        await intake.command(interaction, name, str(search))

    command: app_commands.Command[Any, Any, Any] = app_commands.Command(
        name=name, description=description, callback=run
    )

    @command.autocomplete("search")
    async def suggest(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        return await intake.autocomplete(interaction, current)

    return command
