"""Where commands and button kinds plug in, so a new screen touches bot/conversation only.

A feature module (billing's ``bot/conversation/plan.py``, say) registers what it adds at
import time, and is listed in ``bot.conversation.features.FEATURES`` so it is imported:

    @command("plan", "Your plan and its limits", where=PRIVATE, button=Act.PLAN)
    async def plan(session: ChatSession, args: str) -> list[Reply]: ...

    @on_action(Act.UPGRADE)
    async def upgrade(session: ChatSession, action: Action) -> Pressed: ...

Front-ends read ``commands()`` for their command menus (Telegram's setMyCommands per scope,
Discord's slash commands) and never name a command themselves. ``ChatSession.handle`` runs a
registered command for ``/name args``; ``bot.conversation.pressed.act`` runs a registered
action's handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Flag, auto
from typing import TYPE_CHECKING, TypeVar

from bot.conversation.actions import Act, Action

if TYPE_CHECKING:
    from bot.conversation.pressed import Pressed
    from bot.conversation.replies import Reply
    from bot.conversation.session import ChatSession


class Where(Flag):
    """Which command menus list a command: private chats, everyone in a group, its admins."""

    PRIVATE = auto()
    GROUP = auto()
    GROUP_ADMIN = auto()


PRIVATE = Where.PRIVATE
EVERYWHERE = Where.PRIVATE | Where.GROUP | Where.GROUP_ADMIN
ADMINS = Where.PRIVATE | Where.GROUP_ADMIN

CommandRun = Callable[["ChatSession", str], Awaitable["list[Reply]"]]
ActionRun = Callable[["ChatSession", Action], Awaitable["Pressed"]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    summary: str  # one line for the platform's command menu
    where: Where
    run: CommandRun | None = None  # None: built into ChatSession
    managing: bool = False  # changes a group's searches: only its admins may use it there


_COMMANDS: dict[str, CommandSpec] = {}
_ACTIONS: dict[Act, ActionRun] = {}
_F = TypeVar("_F")


def add_command(spec: CommandSpec) -> None:
    if spec.name in _COMMANDS:
        raise ValueError(f"command /{spec.name} is registered twice")
    _COMMANDS[spec.name] = spec


def command(
    name: str,
    summary: str,
    *,
    where: Where = PRIVATE,
    managing: bool = False,
    button: Act | None = None,
) -> Callable[[CommandRun], CommandRun]:
    """Registers ``/name``: ``run(session, args)`` returns the replies. ``button``: an
    ``Act`` whose press runs the command without arguments (a "Plan" button, say)."""

    def register(run: CommandRun) -> CommandRun:
        add_command(CommandSpec(name, summary, where, run, managing))
        if button is not None:
            if button in COMMAND_ACTS or button in _ACTIONS:
                raise ValueError(f"{button} already does something")
            COMMAND_ACTS[button] = name
        return run

    return register


def on_action(*acts: Act) -> Callable[[ActionRun], ActionRun]:
    """Registers the handler of buttons of kind ``acts``: ``run(session, action)``."""

    def register(run: ActionRun) -> ActionRun:
        for act in acts:
            if act in _ACTIONS:
                raise ValueError(f"{act} has two handlers")
            _ACTIONS[act] = run
        return run

    return register


def commands() -> tuple[CommandSpec, ...]:
    """Every command, in menu order."""
    return tuple(_COMMANDS.values())


def command_spec(name: str) -> CommandSpec | None:
    return _COMMANDS.get(name)


def action_handler(act: Act) -> ActionRun | None:
    return _ACTIONS.get(act)


def in_menu(where: Where) -> tuple[CommandSpec, ...]:
    return tuple(spec for spec in _COMMANDS.values() if where & spec.where)


# A tap on one of these runs the command, as if it had been typed without arguments.
COMMAND_ACTS: dict[Act, str] = {
    Act.START: "start",
    Act.HELP: "help",
    Act.NEW_SEARCH: "newsearch",
    Act.SETTINGS: "settings",
    Act.STATS: "stats",
}

# The commands built into ChatSession (bot/conversation/session.py), in menu order.
for _spec in (
    CommandSpec("newsearch", "Set up a new search", ADMINS, managing=True),
    CommandSpec("templates", "Start from a ready-made search", ADMINS),
    CommandSpec("searches", "Your searches: pause, edit, delete", EVERYWHERE),
    CommandSpec("saved", "Listings you saved", PRIVATE),
    CommandSpec("settings", "Time zone, quiet hours, email / SMS / webhook", PRIVATE),
    CommandSpec("verify", "Confirm an address with its code", PRIVATE),
    CommandSpec("stats", "Your numbers", PRIVATE),
    CommandSpec("export", "A file of everything held about you", PRIVATE),
    CommandSpec("deleteaccount", "Delete your account and its data", PRIVATE),
    CommandSpec("help", "What I can do", EVERYWHERE),
    CommandSpec("cancel", "Stop what we're doing", ADMINS),
    CommandSpec("start", "Welcome and how to begin", PRIVATE),
    # Typed with a number; not in the menus (a menu entry runs without arguments).
    CommandSpec("edit", "", Where(0), managing=True),
    CommandSpec("pause", "", Where(0), managing=True),
    CommandSpec("resume", "", Where(0), managing=True),
    CommandSpec("delete", "", Where(0), managing=True),
    CommandSpec("save", "", Where(0)),
    CommandSpec("hide", "", Where(0)),
    CommandSpec("unhide", "", Where(0)),
):
    add_command(_spec)
