"""Who may do what in a Telegram chat, checked at the moment of the action.

In a private chat a user acts on what their own account owns. In a group, only the group's
admins (asked of Telegram with getChatMember, every time) may create, change, pause or
delete the searches that post into that group, and press Save / Hide on its alerts; they act
on behalf of the search's owner (the admin who created it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from core.enums import Platform
from core.errors import Forbidden, MonitorError, not_available
from core.models import Account, Match, Search

logger = logging.getLogger(__name__)

ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}
ADMINS_ONLY = "Only this group's admins can manage its searches."


@dataclass(slots=True)
class ChatRights:
    """The rights of one user in one chat."""

    bot: Bot
    chat_id: int
    chat_type: str
    user_id: int
    account: Account

    @property
    def is_group(self) -> bool:
        return self.chat_type != ChatType.PRIVATE

    async def is_admin(self) -> bool:
        if not self.is_group:
            return True
        try:
            member = await self.bot.get_chat_member(self.chat_id, self.user_id)
        except TelegramError as exc:
            logger.warning("getChatMember %s/%s failed: %s", self.chat_id, self.user_id, exc)
            return False
        return member.status in ADMIN_STATUSES

    async def require_manager(self) -> None:
        """Raises Forbidden unless this user may manage searches here."""
        if not await self.is_admin():
            logger.info("user %s is not an admin of chat %s", self.user_id, self.chat_id)
            raise Forbidden(ADMINS_ONLY)

    async def search_owner(self, search_id: int) -> Account:
        """The account to act as on ``search_id``; Forbidden/NotFound otherwise (logged).

        A missing id and somebody else's get the same answer, and in a group the admin check
        comes first, so nobody learns which ids exist by trying them."""
        if self.is_group:
            await self.require_manager()
        search = await Search.get_or_none(id=search_id).select_related("destination", "account")
        if search is None:
            raise self._unavailable("search", search_id)
        if self.is_group:
            self._same_chat(search, "search", search_id)
        elif search.account.id != self.account.id:
            self._refuse("search", search_id)
        return search.account

    async def match_owner(self, match_id: int) -> tuple[Match, Account]:
        """The match behind an alert button, and the account to act as; checked like searches,
        and the button must be pressed in the chat the alert was posted to."""
        if self.is_group:
            await self.require_manager()
        match = await Match.get_or_none(id=match_id).select_related(
            "search__destination", "search__account", "listing"
        )
        if match is None:
            raise self._unavailable("alert", match_id)
        self._same_chat(match.search, "alert", match_id)
        if not self.is_group and match.search.account.id != self.account.id:
            self._refuse("alert", match_id)
        return match, match.search.account

    def _same_chat(self, search: Search, what: str, thing_id: int) -> None:
        destination = search.destination
        if destination.platform != Platform.TELEGRAM or destination.chat_id != str(self.chat_id):
            self._refuse(what, thing_id)

    def _unavailable(self, what: str, thing_id: int, *, forbidden: bool = False) -> MonitorError:
        holder = "This group has" if self.is_group else "You have"
        return not_available(what, thing_id, forbidden=forbidden, holder=holder)

    def _refuse(self, what: str, thing_id: int) -> None:
        logger.warning(
            "refused: telegram user %s (account %s) in chat %s pressed %s %s of another",
            self.user_id,
            self.account.id,
            self.chat_id,
            what,
            thing_id,
        )
        raise self._unavailable(what, thing_id, forbidden=True)
