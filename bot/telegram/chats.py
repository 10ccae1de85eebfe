"""Per-chat, per-user conversation state: the ChatSession, its open menu, a lock.

Button-driven screens (alerts, searches, saved, templates) are stateless: their callback data
names what they act on; a question's buttons name the question (its reference). A
conversation in progress (the wizard, /settings, a typed answer)
and its open menu are kept in the database (core.conversations) keyed by (chat, user), so
people in a group don't mix and any process, or this one after a restart, continues it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Chat, User

from bot.conversation import ChatServices, ChatSession
from bot.telegram.markup import escape
from bot.telegram.rights import ChatRights, TelegramManagers
from core import accounts
from core.conversations import ConversationKey
from core.enums import Platform
from core.views import AccountView as Account
from core.views import DestinationView as Destination

MAX_CHATS = 20_000


@dataclass(slots=True)
class Menu:
    """The message showing the conversation's open question, so its buttons can be taken
    away when the conversation moves on (which question it is, and what is ticked, the
    conversation itself keeps: a press carries the question's reference)."""

    message_id: int

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Menu:
        return cls(int(data["message_id"]))


@dataclass(slots=True)
class ChatState:
    session: ChatSession
    rights: ChatRights
    menu: Menu | None = None
    used_at: float = field(default_factory=time.monotonic)


class Chats:
    """Every (chat, user) conversation this process is having."""

    def __init__(self, services: ChatServices, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self._states: dict[tuple[int, int], ChatState] = {}
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}

    def lock(self, chat_id: int, user_id: int) -> asyncio.Lock:
        """Taken first thing for each update, so one user's updates are handled one at a
        time and in the order they came (asyncio locks are fair)."""
        return self._locks.setdefault((chat_id, user_id), asyncio.Lock())

    async def state_for(self, chat: Chat, user: User) -> ChatState:
        """The state of ``user`` in ``chat``; account and destination are (re)loaded each time
        so a tier change or a re-activated chat is seen at once."""
        account = await accounts.identify(Platform.TELEGRAM, str(user.id), user.full_name)
        destination = await accounts.destination_for(
            account,
            Platform.TELEGRAM,
            str(chat.id),
            kind=chat.type,
            title=chat.title or chat.full_name or "",
        )
        key = (chat.id, user.id)
        state = self._states.get(key)
        if state is None:
            state = self._new_state(chat, user, account, destination)
            self._states[key] = state
        state.session.account = account
        state.session.destination = destination
        state.rights.account = account
        state.used_at = time.monotonic()
        await self._load(state, chat.id)
        return state

    async def _load(self, state: ChatState, chat_id: int) -> None:
        """The conversation as the database has it: another process may have moved it on."""
        session = state.session
        for notice in await session.load():
            await self.bot.send_message(chat_id, escape(notice.text))
        menu = session.ui.get("menu")
        state.menu = Menu.from_json(menu) if menu else None

    async def save(self, state: ChatState) -> None:
        """Write the conversation and its open menu back (compare-and-set on its version)."""
        session = state.session
        if state.menu is None:
            session.ui.pop("menu", None)
        else:
            session.ui["menu"] = state.menu.to_json()
        await session.save()

    async def waiting(self, chat_id: int, user_id: int) -> bool:
        """Whether ``user`` has a question open in ``chat`` (in any process)."""
        loaded = await self.services.conversations.load(_key(chat_id, user_id))
        return loaded.state is not None and "pending" in loaded.state

    def _new_state(
        self, chat: Chat, user: User, account: Account, destination: Destination
    ) -> ChatState:
        if len(self._states) >= MAX_CHATS:
            self._forget_oldest()
        rights = ChatRights(self.bot, chat.id, chat.type, user.id, account)
        session = ChatSession(self.services, account, destination)
        session.key = _key(chat.id, user.id)
        # core.access decides: in private one's own searches; in a group its admins manage
        # the group's, on behalf of each search's owner. Refusals are logged there.
        session.search_rights = rights.search_owner
        session.manager_check = rights.require_manager
        if rights.is_group:  # /adopt asks Telegram who still administers the group
            session.chat_managers = TelegramManagers(self.bot, chat.id)
        return ChatState(session, rights)

    def _forget_oldest(self) -> None:
        idle = sorted(self._states.items(), key=lambda item: item[1].used_at)
        for key, _ in idle[: len(idle) // 10 or 1]:
            lock = self._locks.get(key)
            if lock is None or not lock.locked():
                self._states.pop(key, None)
                self._locks.pop(key, None)


def _key(chat_id: int, user_id: int) -> ConversationKey:
    return ConversationKey(Platform.TELEGRAM, str(chat_id), str(user_id))
