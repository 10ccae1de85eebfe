"""The real python-telegram-bot handlers against the fake Bot API, updates handed straight in.

``Application.process_update`` runs the same handlers (and the error handler) as polling or
a webhook would, and returns when they are done: a test can type thousands of lines quickly
and knows each was handled before the next. Replies go to the fake over HTTP.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder

from bot.conversation import ChatServices
from bot.telegram.handlers import TelegramHandlers
from tests.fakes.telegram_api import (
    BOT_ID,
    BOT_USERNAME,
    TOKEN,
    FakeTelegram,
    Sent,
    running_fake_telegram,
)

BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Market Monitor", "username": BOT_USERNAME}


@dataclass
class DirectBot:
    fake: FakeTelegram
    app: Application[Any, Any, Any, Any, Any, Any]
    handlers: TelegramHandlers | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def type(
        self, user: dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> list[Sent]:
        """``user`` writes ``text``; returns the messages sent or edited in answer."""
        chat = chat or self.fake.private_chat(user)
        message: dict[str, Any] = {
            "message_id": 10_000 + next(self._ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0]) if text.split() else 1
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return await self._process({"message": message}, chat["id"])

    async def press(self, user: dict[str, Any], sent: Sent, data: str) -> dict[str, Any] | None:
        """``user`` presses a button carrying ``data`` under ``sent``; returns the pop-up
        answer (answerCallbackQuery's parameters)."""
        query_id = f"q{next(self._ids)}"
        self.fake.answers[query_id] = None
        chat = self.fake._chats[sent.chat_id]
        message = {"message_id": sent.message_id, "from": BOT_USER, "chat": chat,
                   "date": int(time.time()), "text": sent.text or " "}  # fmt: skip
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        query = {"id": query_id, "from": user, "message": message,
                 "chat_instance": f"ci{sent.chat_id}", "data": data}  # fmt: skip
        await self._process({"callback_query": query}, sent.chat_id)
        return self.fake.answers.get(query_id)

    async def _process(self, body: dict[str, Any], chat_id: int) -> list[Sent]:
        before = {id(s): s.edits for s in self.fake.sent}
        update = Update.de_json({"update_id": next(self._ids), **body}, self.app.bot)
        await self.app.process_update(update)
        return [
            s for s in self.fake.sent if s.chat_id == chat_id and before.get(id(s), -1) != s.edits
        ]


@contextlib.asynccontextmanager
async def direct_bot(services: ChatServices) -> AsyncIterator[DirectBot]:
    async with running_fake_telegram() as fake, bot_process(fake, services) as bot:
        yield bot


@contextlib.asynccontextmanager
async def bot_process(fake: FakeTelegram, services: ChatServices) -> AsyncIterator[DirectBot]:
    """One bot process on ``fake``; several may share it, as several processes would."""
    root = fake.url.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .updater(None)
        .build()
    )
    handlers = TelegramHandlers(services, app)
    handlers.install(app)
    await app.initialize()  # getMe: the bot's username, for commands like /x@bot
    try:
        yield DirectBot(fake, app, handlers)
    finally:
        await app.shutdown()
