"""Who may do what in a Telegram chat: Telegram's answer to "is this user an admin?".

The rule itself (private chats act on their own account; in a group only its admins manage
the group's searches, on behalf of each search's owner) is core's (core.access); this module
asks Telegram with getChatMember, every time, at the moment of the action.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from core import access
from core.access import ADMINS_ONLY
from core.enums import Platform
from core.views import AccountView, MatchView

logger = logging.getLogger(__name__)

ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}

__all__ = ["ADMINS_ONLY", "ADMIN_STATUSES", "ChatRights", "TelegramManagers"]


@dataclass(slots=True)
class ChatRights:
    """The rights of one user in one chat; implements core.access's AdminCheck port."""

    bot: Bot
    chat_id: int
    chat_type: str
    user_id: int
    account: AccountView

    @property
    def is_group(self) -> bool:
        return self.chat_type != ChatType.PRIVATE

    @property
    def actor(self) -> access.Actor:
        return access.Actor(
            Platform.TELEGRAM, str(self.chat_id), str(self.user_id), self.account.id, self.is_group
        )

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        try:
            member = await self.bot.get_chat_member(int(chat_id), int(user_id))
        except TelegramError as exc:
            logger.warning("getChatMember %s/%s failed: %s", chat_id, user_id, exc)
            return False
        return member.status in ADMIN_STATUSES

    async def require_manager(self) -> None:
        """Raises Forbidden unless this user may manage searches here."""
        await access.require_manager(self.actor, self)

    async def search_owner(self, search_id: int) -> AccountView:
        return await access.search_owner(self.actor, search_id, self)

    async def match_owner(self, match_id: int) -> tuple[MatchView, AccountView]:
        return await access.match_owner(self.actor, match_id, self)


@dataclass(slots=True)
class TelegramManagers:
    """core.adoption's ManagerCheck for one group: is a search's creator still its admin?
    getChatMember says "left" or "kicked" once they are gone, "member" once demoted."""

    bot: Bot
    chat_id: int

    async def still_manages(self, platform_user_id: str) -> bool | None:
        try:
            member = await self.bot.get_chat_member(self.chat_id, int(platform_user_id))
        except (TelegramError, ValueError) as exc:  # unsure: nothing is decided on it
            logger.info("getChatMember %s/%s: %s", self.chat_id, platform_user_id, exc)
            return None
        return member.status in ADMIN_STATUSES
