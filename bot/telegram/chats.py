"""Per-chat, per-user conversation state: the ChatSession, its open menu, a lock.

Button-driven screens (alerts, searches, saved, templates) are stateless: their callback data
names what they act on. Only a conversation in progress (the wizard, /settings, a typed
answer) lives here, in memory, keyed by (chat, user) so people in a group don't mix.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

from telegram import Bot, Chat, User

from bot.conversation import ChatServices, ChatSession, Reply
from bot.telegram.rights import ChatRights
from core import accounts
from core.enums import Platform
from core.models import Account, Destination

MAX_CHATS = 20_000


@dataclass(slots=True)
class Menu:
    """The conversation question on screen now, with buttons ``m:<token>:<n>``."""

    message_id: int
    reply: Reply
    token: str = field(default_factory=lambda: secrets.token_hex(4))
    selected: set[int] = field(default_factory=set)


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
        return state

    def peek(self, chat_id: int, user_id: int) -> ChatState | None:
        """The state if this process has one, without touching the database."""
        return self._states.get((chat_id, user_id))

    def _new_state(
        self, chat: Chat, user: User, account: Account, destination: Destination
    ) -> ChatState:
        if len(self._states) >= MAX_CHATS:
            self._forget_oldest()
        rights = ChatRights(self.bot, chat.id, chat.type, user.id, account)
        session = ChatSession(self.services, account, destination)
        if rights.is_group:
            # A group's searches are managed by its admins, on behalf of each search's owner.
            session.search_rights = rights.search_owner
        return ChatState(session, rights)

    def _forget_oldest(self) -> None:
        idle = sorted(self._states.items(), key=lambda item: item[1].used_at)
        for key, _ in idle[: len(idle) // 10 or 1]:
            lock = self._locks.get(key)
            if lock is None or not lock.locked():
                self._states.pop(key, None)
                self._locks.pop(key, None)
