"""Who may act on a search or an alert: the one rule every chat platform asks.

In a private chat a person acts on what their own account owns. In a shared chat (a group, a
server channel) only the chat's admins may manage the searches that post there, and they act
on behalf of each search's owner. Whether someone is an admin is the platform's to say (the
``AdminCheck`` port); the rule itself, and the refusal that does not tell a missing id from
somebody else's, live here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from core.enums import Platform
from core.errors import Forbidden, MonitorError, not_available
from core.models import Account, Match, Search

logger = logging.getLogger(__name__)

ADMINS_ONLY = "Only this group's admins can manage its searches."
# Discord has no "group admins": Manage Server, or the role named with /managerrole, decides.
DISCORD_MANAGERS_ONLY = (
    "Only server admins (Manage Server) and this server's manager role can manage"
    " this channel's searches."
)


def managers_only(platform: Platform) -> str:
    """The refusal for a shared chat, in the words of the platform it is said on."""
    return DISCORD_MANAGERS_ONLY if platform is Platform.DISCORD else ADMINS_ONLY


class AdminCheck(Protocol):
    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        """Whether ``user_id`` administers the shared chat ``chat_id`` (False if unsure)."""
        ...


@dataclass(frozen=True, slots=True)
class Actor:
    """A person acting in a chat: where, who (on the platform), and their own account."""

    platform: Platform
    chat_id: str
    user_id: str
    account_id: int
    shared: bool


async def require_manager(actor: Actor, admins: AdminCheck) -> None:
    """Raises Forbidden unless ``actor`` may manage searches in their chat."""
    if actor.shared and not await admins.is_admin(actor.chat_id, actor.user_id):
        logger.info("user %s is not an admin of chat %s", actor.user_id, actor.chat_id)
        raise Forbidden(managers_only(actor.platform))


async def search_owner(actor: Actor, search_id: int, admins: AdminCheck) -> Account:
    """The account to act as on ``search_id``; Forbidden/NotFound otherwise (logged).

    In a shared chat the admin check comes first, so nobody learns which ids exist."""
    await require_manager(actor, admins)
    search = await Search.get_or_none(id=search_id).select_related("destination", "account")
    if search is None:
        raise _unavailable(actor, "search", search_id)
    if actor.shared:
        _same_chat(actor, search, "search", search_id)
    elif search.account.id != actor.account_id:
        raise _refuse(actor, "search", search_id)
    return search.account


async def match_owner(actor: Actor, match_id: int, admins: AdminCheck) -> tuple[Match, Account]:
    """The match behind an alert button and the account to act as; checked like searches,
    and the button must be pressed in the chat the alert was posted to."""
    await require_manager(actor, admins)
    match = await Match.get_or_none(id=match_id).select_related(
        "search__destination", "search__account", "listing"
    )
    if match is None:
        raise _unavailable(actor, "alert", match_id)
    _same_chat(actor, match.search, "alert", match_id)
    if not actor.shared and match.search.account.id != actor.account_id:
        raise _refuse(actor, "alert", match_id)
    return match, match.search.account


async def shared_alert(actor: Actor, match_id: int) -> Match:
    """An alert posted to ``actor``'s shared chat, for a personal Save (issue 12): anyone who
    sees the alert may keep it in their own /saved, so no manager check; the alert must still
    have been posted in this chat, so a forged id names nothing elsewhere."""
    match = await Match.get_or_none(id=match_id).select_related("search__destination", "listing")
    if match is None:
        raise _unavailable(actor, "alert", match_id)
    _same_chat(actor, match.search, "alert", match_id)
    return match


def _same_chat(actor: Actor, search: Search, what: str, thing_id: int) -> None:
    destination = search.destination
    if destination.platform != actor.platform or destination.chat_id != actor.chat_id:
        raise _refuse(actor, what, thing_id)


def _unavailable(
    actor: Actor, what: str, thing_id: int, *, forbidden: bool = False
) -> MonitorError:
    holder = "This group has" if actor.shared else "You have"
    return not_available(what, thing_id, forbidden=forbidden, holder=holder)


def _refuse(actor: Actor, what: str, thing_id: int) -> MonitorError:
    logger.warning(
        "refused: %s user %s (account %s) in chat %s pressed %s %s of another",
        actor.platform.value,
        actor.user_id,
        actor.account_id,
        actor.chat_id,
        what,
        thing_id,
    )
    return _unavailable(actor, what, thing_id, forbidden=True)
