"""/token: personal API tokens for the JSON API (issue 17), in a private chat only.

``/token create NAME [read|write] [days]`` shows the new secret once, in a message the
front-end removes after a minute (Telegram deletes it); ``/token list``; ``/token revoke NAME``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.conversation.registry import PRIVATE, command
from bot.conversation.replies import Reply, say
from bot.conversation.texts import USAGE
from bot.conversation.your_data import private_only
from core import api_tokens
from core.api_tokens import TokenInfo
from core.clock import Clock
from core.enums import ApiScope
from core.errors import MonitorError
from core.numbers import parse_int
from core.views import AccountView as Account
from core.views import DestinationView as Destination

if TYPE_CHECKING:
    from bot.conversation.session import ChatSession

# How long the message with a new token's secret stays in the chat.
SECRET_SHOWN_SECONDS = 60.0


class TokenUsage(MonitorError):
    """/token without a usable sub-command: answered with its usage line."""

    command = "token"

    def __init__(self) -> None:
        super().__init__(USAGE["token"])


@command("token", "Personal API tokens for your scripts", where=PRIVATE)
async def token(session: ChatSession, args: str) -> list[Reply]:
    return await token_command(session.account, session.destination, args, session.services.clock)


async def token_command(
    account: Account, destination: Destination, args: str, clock: Clock
) -> list[Reply]:
    refused = private_only(destination, "/token")
    if refused is not None:
        return [refused]
    words = args.split()
    action = words[0].lower() if words else ""
    if action == "list" and len(words) == 1:
        return [_list(await api_tokens.list_for(account.id), clock())]
    if action == "revoke" and len(words) == 2:
        await api_tokens.revoke(account.id, words[1])
        return [say(f"🔒 Revoked {words[1]}: requests with it are refused from now on.")]
    if action == "create" and 2 <= len(words) <= 4:
        return [await _create(account, words[1], words[2:], clock)]
    raise TokenUsage()


async def _create(account: Account, name: str, options: list[str], clock: Clock) -> Reply:
    scope, days = ApiScope.READ, None
    for option in options:
        if option.lower() in (ApiScope.READ.value, ApiScope.WRITE.value):
            scope = ApiScope(option.lower())
            continue
        number = parse_int(option, minimum=1)
        if number is None or days is not None:
            raise TokenUsage()
        days = number
    made = await api_tokens.create(account.id, name, scope, days, clock())
    what = "read and change" if scope is ApiScope.WRITE else "read"
    until = f"until {_day(made.info.expires_at)}" if made.info.expires_at else "until you revoke it"
    return Reply(
        f"🔑 Token {name} ({scope.value}): it can {what} your searches and matches, {until}.\n\n"
        f"{made.secret}\n\n"
        "Copy it now: it is shown only this once, and this message is deleted in a minute. "
        "Send it as the header Authorization: Bearer <token>. "
        f"/token revoke {name} stops it.",
        delete_after_seconds=SECRET_SHOWN_SECONDS,
    )


def _list(tokens: list[TokenInfo], now: datetime) -> Reply:
    if not tokens:
        return say("You have no API tokens. /token create NAME makes one.")
    lines = []
    for token in tokens:
        used = _day(token.last_used_at) if token.last_used_at else "never"
        if token.expires_at is None:
            expiry = "no expiry"
        elif token.expires_at <= now:
            expiry = "expired"
        else:
            expiry = f"expires {_day(token.expires_at)}"
        lines.append(
            f"• {token.name} ({token.scope.value}, …{token.hint}): made {_day(token.created_at)}, "
            f"last used {used}, {expiry}"
        )
    return say("Your API tokens:\n" + "\n".join(lines) + "\n/token revoke NAME stops one.")


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


__all__ = ["SECRET_SHOWN_SECONDS", "TokenUsage", "token_command"]
