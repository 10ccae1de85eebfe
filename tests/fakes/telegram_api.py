"""A local fake of the Telegram Bot API: a real aiohttp server speaking Telegram's JSON.

The real python-telegram-bot talks to it through TELEGRAM_API_URL (``<url>/bot<token>/<method>``).
It keeps updates for getUpdates (long poll, offsets, allowed_updates) or pushes them to a
webhook with the secret-token header, records every call, and is strict where Telegram is:
HTML must parse, texts and captions have limits (UTF-16 units), callback data is at most 64
bytes, every callback query may be answered once, "message is not modified" is a 400.
Tests inject users' messages and button presses, group admins, 429s and 403s.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.local_server import serving

TOKEN = "123456789:AAE-fake-token-for-tests_0123456789"
BOT_ID = 123456789
BOT_USERNAME = "market_monitor_test_bot"

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "blockquote", "tg-emoji",
}  # fmt: skip
_JSON_FIELDS = {
    "reply_markup", "allowed_updates", "commands", "link_preview_options", "entities",
    "caption_entities", "scope", "reply_parameters",
}  # fmt: skip
_INT_FIELDS = {"chat_id", "message_id", "user_id", "offset", "limit", "timeout"}
# The smallest valid PNG: one transparent pixel.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000005000157e8a5a40000000049454e44ae426082"
)
# Bots may upload files of up to 50 MB.
DOCUMENT_LIMIT = 50 * 1024 * 1024
# The key under which a multipart request's files are kept in its params.
UPLOADS = "__uploads__"
DEFAULT_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> str:
    """The visible text of Telegram-HTML ``source``; ApiError 400 like Telegram's parser."""
    visible: list[str] = []
    stack: list[str] = []
    for token in re.split(r"(<[^<>]*>|&[^;\s<>&]*;)", source):
        if token.startswith("<") and token.endswith(">"):
            _tag(token, stack)
        elif token.startswith("&") and token.endswith(";"):
            text = html.unescape(token)
            if text == token:
                raise _parse_error(f"unsupported HTML entity {token!r}")
            visible.append(text)
        elif "<" in token or ">" in token or "&" in token:
            raise _parse_error(f"unescaped character in {token[:30]!r}")
        else:
            visible.append(token)
    if stack:
        raise _parse_error(f"can't find end tag corresponding to start tag {stack[-1]}")
    return "".join(visible)


def _tag(token: str, stack: list[str]) -> None:
    inner = token[1:-1].strip()
    closing = inner.startswith("/")
    name = inner.lstrip("/").split()[0].lower() if inner.lstrip("/") else ""
    if name not in _TAGS:
        raise _parse_error(f"unsupported start tag {name!r}")
    if not closing:
        stack.append(name)
        return
    if not stack or stack[-1] != name:
        raise _parse_error(f"unmatched end tag {name!r}")
    stack.pop()


def _parse_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    """Answer the next ``times`` calls of ``method`` (for ``chat_id``, if given) with an error."""

    method: str
    code: int
    description: str
    times: int = 1
    chat_id: int | None = None
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    echo_params: bool = False  # the description repeats the request, as some APIs' errors do


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (multipart), as received."""

    filename: str
    content: bytes = field(repr=False)


@dataclass
class Sent:
    """A message the bot sent, as it is now (edits change it)."""

    chat_id: int
    message_id: int
    kind: str  # "text", "photo" or "document"
    html: str
    text: str
    reply_markup: dict[str, Any] | None
    photo: str | None = None
    document: Upload | None = None
    edits: int = 0
    picture: Upload | None = None  # an uploaded photo's bytes (a URL photo is in ``photo``)

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button(self, label_part: str) -> dict[str, Any]:
        for button in self.buttons():
            if label_part.lower() in button["text"].lower():
                return button
        labels = [b["text"] for b in self.buttons()]
        raise AssertionError(f"no button with {label_part!r} in {labels} of {self.text!r}")


class FakeTelegram:
    """The fake's state and its aiohttp app. Use ``running_fake_telegram()`` to serve it."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.url = ""
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        # The command menu per scope type ("default", "all_private_chats", ...), as set.
        self.commands_by_scope: dict[str, list[dict[str, Any]]] = {}
        self.admins: dict[int, set[int]] = {}
        self.left: dict[int, set[int]] = {}  # group → users who left it
        self.creators: dict[int, int] = {}
        self.blocked: set[int] = set()
        self.bad_photo_urls: set[str] = set()
        self.failures: list[Failure] = []
        self.answers: dict[str, dict[str, Any] | None] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_refusals = 0
        # Stands in for the TLS proxy before PUBLIC_URL: pushes go to this origin instead.
        self.webhook_origin: str | None = None
        # A load balancer before several processes: when set, each push goes to the next of
        # these origins in turn (a refused or failed push is retried at the one after).
        self.webhook_origins: list[str] = []
        # (update_id, origin) of every push that got its 200, in order.
        self.pushed: list[tuple[int, str]] = []
        self._next_origin = 0
        self.per_chat_per_second: float | None = None
        # Telegram's other limits, off unless set: sends a second for the whole bot, and
        # sends a minute to one group (a negative chat id). flood_refusals counts the 429s.
        self.per_bot_per_second: float | None = None
        self.per_group_per_minute: float | None = None
        self.flood_refusals = 0
        self.flood_reasons: dict[str, int] = {}
        self._bot_sends: list[float] = []
        self._sends: dict[int, list[float]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._updates: list[dict[str, Any]] = []
        self._allowed: tuple[str, ...] = DEFAULT_UPDATES
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(5000)
        self._changed = asyncio.Condition()
        self._push_task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = False

    # --- the people on the other side --------------------------------------------------------
    @staticmethod
    def user(user_id: int, first_name: str = "Ann", username: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            found["username"] = username
        return found

    def private_chat(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self._chats[user["id"]] = chat
        return chat

    def group(self, chat_id: int, title: str, *, admins: tuple[int, ...] = ()) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self._chats[chat_id] = chat
        self.admins[chat_id] = set(admins)
        return chat

    def leave(self, chat_id: int, user_id: int) -> None:
        """``user_id`` leaves the group: getChatMember then answers status "left"."""
        self.admins.get(chat_id, set()).discard(user_id)
        self.left.setdefault(chat_id, set()).add(user_id)

    async def send_text(
        self, user: dict[str, Any], text: str, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``user`` writes ``text`` (a command if it starts with /) in ``chat`` (or privately)."""
        chat = chat or self.private_chat(user)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        await self.push_update({"message": message})
        return message

    async def press(self, user: dict[str, Any], sent: Sent, data: str) -> str:
        """``user`` presses a button carrying ``data`` under the bot's message ``sent``."""
        query_id = str(next(self._callback_ids))
        self.answers[query_id] = None
        chat = self._chats[sent.chat_id]
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(sent, chat),
            "chat_instance": f"ci{sent.chat_id}",
            "data": data,
        }
        await self.push_update({"callback_query": query})
        return query_id

    async def push_update(self, body: dict[str, Any]) -> None:
        async with self._changed:
            self._updates.append({"update_id": next(self._update_ids), **body})
            self._changed.notify_all()

    # --- what tests wait for ---------------------------------------------------------------
    async def wait_for(self, check: Callable[[], Any], within: float = 10.0) -> Any:
        """Wait until ``check()`` is truthy (re-checked after every call the bot makes)."""
        deadline = time.monotonic() + within
        async with self._changed:
            while not (found := check()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out; last messages: {self.texts()[-5:]}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
        return found

    async def message_with(self, chat_id: int, part: str, within: float = 10.0) -> Sent:
        """The newest message in ``chat_id`` whose current text contains ``part``."""

        def find() -> Sent | None:
            for sent in reversed(self.sent):
                if sent.chat_id == chat_id and part in sent.text:
                    return sent
            return None

        found: Sent = await self.wait_for(find, within)
        return found

    async def answered(self, query_id: str, within: float = 10.0) -> dict[str, Any]:
        found: dict[str, Any] = await self.wait_for(lambda: self.answers.get(query_id), within)
        return found

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [s.text for s in self.sent if chat_id is None or s.chat_id == chat_id]

    def pending_updates(self) -> int:
        """Updates the bot has not confirmed yet (getUpdates offset, or a webhook's 200)."""
        return len(self._updates)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def fail(self, failure: Failure) -> None:
        self.failures.append(failure)

    # --- the HTTP side ---------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._no_files)
        app.router.add_get("/test-images/{name}", self._image)
        return app

    def image_url(self, name: str = "photo.png") -> str:
        """A photo URL this fake serves itself (for listings in tests without a sandbox)."""
        return f"{self.url}/test-images/{name}"

    async def _image(self, request: web.Request) -> web.Response:
        return web.Response(body=_PNG, content_type="image/png")

    async def _no_files(self, request: web.Request) -> web.Response:
        return _error(ApiError(404, "Not Found"))

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        handler = getattr(self, "_m_" + _snake(method), None)
        if handler is None:
            return _error(ApiError(404, "Not Found: method not found"))
        params = await _params(request)
        try:
            self._injected_failure(method, params)
            result = await handler(params)
        except ApiError as exc:
            await self._record(method, params)
            return _error(exc)
        await self._record(method, params)
        return web.json_response({"ok": True, "result": result})

    async def _record(self, method: str, params: dict[str, Any]) -> None:
        async with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()

    def _injected_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self.failures:
            if failure.times <= 0 or failure.method != method:
                continue
            if failure.chat_id is not None and params.get("chat_id") != failure.chat_id:
                continue
            failure.times -= 1
            echo = f" (request: {params})" if failure.echo_params else ""
            raise ApiError(
                failure.code,
                failure.description + echo,
                failure.retry_after,
                failure.migrate_to_chat_id,
            )

    # --- methods -----------------------------------------------------------------------------
    async def _m_get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Market Monitor",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self._allowed = tuple(params["allowed_updates"] or DEFAULT_UPDATES)
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            if offset:
                # Confirming: everything below the offset is gone for good.
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            deadline = time.monotonic() + timeout
            while not (ready := self._deliverable()) and time.monotonic() < deadline:
                if self._closing:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
        return ready[:limit]

    def _deliverable(self) -> list[dict[str, Any]]:
        return [u for u in self._updates if any(k in u for k in self._allowed)]

    async def _m_set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._m_delete_webhook(params)
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret}
        if "allowed_updates" in params:
            self._allowed = tuple(params["allowed_updates"] or DEFAULT_UPDATES)
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        if self._push_task is None:
            self._push_task = asyncio.create_task(self._push_loop())
        return True

    async def _m_delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        return True

    async def _m_get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands") or []
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self.commands_by_scope[_scope_type(params)] = commands
        return True

    async def _m_delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands_by_scope.pop(_scope_type(params), None)
        return True

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The menu a private chat shows: its own scope, else the default one."""
        return self.commands_by_scope.get(
            "all_private_chats", self.commands_by_scope.get("default", [])
        )

    def command_names(self, scope: str) -> set[str]:
        return {c["command"] for c in self.commands_by_scope.get(scope, [])}

    async def _m_send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        return True

    async def _m_get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._chat(params)

    async def _m_get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        user_id = int(params["user_id"])
        user = self.user(user_id, f"User {user_id}")
        if chat["type"] == "private":
            status = "member"
        elif user_id in self.left.get(chat["id"], set()):
            return {"status": "left", "user": user}
        elif self.creators.get(chat["id"]) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        else:
            status = "administrator" if user_id in self.admins.get(chat["id"], set()) else "member"
        if status == "member":
            return {"status": "member", "user": user}
        rights = [
            "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_promote_members", "can_change_info",
            "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
        ]  # fmt: skip
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            **dict.fromkeys(rights, True),
        }

    async def _m_send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        source = str(params.get("text") or "")
        text = self._visible(source, params, TEXT_LIMIT, "message is too long")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return await self._store(chat, "text", source, text, params)

    async def _m_send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        photo = params.get("photo")
        await self._check_photo(photo)
        source = str(params.get("caption") or "")
        text = self._visible(source, params, CAPTION_LIMIT, "message caption is too long")
        message = await self._store(chat, "photo", source, text, params)
        self.sent[-1].photo = str(photo)
        self.sent[-1].picture = params.get(UPLOADS, {}).get("photo")
        return message

    async def _m_send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._sendable_chat(params)
        upload = params.get(UPLOADS, {}).get("document")
        if upload is None and not params.get("document"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        if upload is not None and len(upload.content) > DOCUMENT_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        source = str(params.get("caption") or "")
        text = self._visible(source, params, CAPTION_LIMIT, "message caption is too long")
        message = await self._store(chat, "document", source, text, params)
        self.sent[-1].document = upload
        message["document"] = {
            "file_id": f"doc{self.sent[-1].message_id}",
            "file_unique_id": f"ud{self.sent[-1].message_id}",
            "file_name": upload.filename if upload else "file",
        }
        return message

    async def _check_photo(self, photo: Any) -> None:
        if photo is None:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        url = isinstance(photo, str) and photo.startswith(("http://", "https://"))
        if url and (photo in self.bad_photo_urls or not await self._fetchable_image(photo)):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _fetchable_image(self, url: str) -> bool:
        assert self._http is not None
        try:
            async with self._http.get(url) as response:
                kind = response.headers.get("Content-Type", "")
                return response.status == 200 and kind.startswith("image/")
        except aiohttp.ClientError:
            return False

    async def _m_edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._message(params)
        if sent.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        source = str(params.get("text") or "")
        text = self._visible(source, params, TEXT_LIMIT, "MESSAGE_TOO_LONG")
        return self._edit(sent, source, text, params.get("reply_markup"))

    async def _m_edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._message(params)
        if sent.kind != "photo":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        source = str(params.get("caption") or "")
        text = self._visible(source, params, CAPTION_LIMIT, "MEDIA_CAPTION_TOO_LONG")
        return self._edit(sent, source, text, params.get("reply_markup"))

    async def _m_edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        sent = self._message(params)
        return self._edit(sent, sent.html, sent.text, params.get("reply_markup"))

    async def _m_delete_message(self, params: dict[str, Any]) -> bool:
        sent = self._message(params)
        self.sent.remove(sent)
        return True

    async def _m_answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.answers or self.answers[query_id] is not None:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.answers[query_id] = params
        return True

    # --- helpers -------------------------------------------------------------------------------
    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(_int(params.get("chat_id")))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _sendable_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        if chat["id"] in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        self._flood_check(chat["id"])
        _check_markup(params.get("reply_markup"))
        return chat

    def _flood_check(self, chat_id: int) -> None:
        """Telegram-like flood control: at most ``per_chat_per_second`` sends to a chat in any
        second, ``per_group_per_minute`` to a group in any minute, ``per_bot_per_second`` in
        all."""
        now = time.monotonic()
        if self.per_bot_per_second is not None:
            self._bot_sends = [t for t in self._bot_sends if now - t < 1.0]
            if len(self._bot_sends) >= self.per_bot_per_second:
                self._refuse("bot")
                raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        group = chat_id < 0 and self.per_group_per_minute is not None
        if self.per_chat_per_second is None and not group:
            self._bot_sends.append(now)
            return
        recent = [t for t in self._sends.get(chat_id, []) if now - t < 60.0]
        last_second = [t for t in recent if now - t < 1.0]
        if self.per_chat_per_second is not None and len(last_second) >= self.per_chat_per_second:
            self._refuse("chat")
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        limit = self.per_group_per_minute
        if group and limit is not None and len(recent) >= limit:
            self._refuse("group")
            raise ApiError(429, "Too Many Requests: retry after 10", retry_after=10)
        self._sends[chat_id] = [*recent, now]
        self._bot_sends.append(now)

    def _refuse(self, reason: str) -> None:
        self.flood_refusals += 1
        self.flood_reasons[reason] = self.flood_reasons.get(reason, 0) + 1

    def _visible(self, source: str, params: dict[str, Any], limit: int, too_long: str) -> str:
        text = parse_html(source) if params.get("parse_mode") == "HTML" else source
        if utf16_len(text) > limit:
            raise ApiError(400, f"Bad Request: {too_long}")
        return text

    def _message(self, params: dict[str, Any]) -> Sent:
        chat = self._chat(params)
        message_id = _int(params.get("message_id"))
        for sent in self.sent:
            if sent.chat_id == chat["id"] and sent.message_id == message_id:
                return sent
        raise ApiError(400, "Bad Request: message to edit not found")

    async def _store(
        self, chat: dict[str, Any], kind: str, source: str, text: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        sent = Sent(chat["id"], next(self._message_ids), kind, source, text, _markup(params))
        self.sent.append(sent)
        return self._message_json(sent, chat)

    def _edit(
        self, sent: Sent, source: str, text: str, markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        _check_markup(markup)
        new_markup = markup if markup and markup.get("inline_keyboard") else None
        if text == sent.text and source == sent.html and new_markup == sent.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup of "
                "the message",
            )
        sent.html, sent.text, sent.reply_markup = source, text, new_markup
        sent.edits += 1
        return self._message_json(sent, self._chats[sent.chat_id])

    def _message_json(self, sent: Sent, chat: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Market Monitor",
                     "username": BOT_USERNAME},
            "chat": chat,
            "date": int(time.time()),
        }  # fmt: skip
        if sent.kind == "photo":
            message["photo"] = [
                {"file_id": f"ph{sent.message_id}", "file_unique_id": f"u{sent.message_id}",
                 "width": 320, "height": 240}
            ]  # fmt: skip
            if sent.text:
                message["caption"] = sent.text
        elif sent.kind == "document":
            if sent.text:
                message["caption"] = sent.text
        else:
            message["text"] = sent.text
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message

    # --- webhook delivery ------------------------------------------------------------------
    async def _push_loop(self) -> None:
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self.webhook and self._deliverable()))
                update = self._deliverable()[0]
                hook = dict(self.webhook or {})
            if await self._post(hook, update):
                async with self._changed:
                    self._updates.remove(update)
            else:
                await asyncio.sleep(0.2)

    async def _post(self, hook: dict[str, Any], update: dict[str, Any]) -> bool:
        assert self._http is not None
        headers = {}
        if hook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
        url = str(hook["url"])
        origin = self._origin()
        if origin:
            url = origin.rstrip("/") + "/" + url.split("/", 3)[3]
        try:
            async with self._http.post(url, json=update, headers=headers) as response:
                if response.status != 200:
                    self.webhook_refusals += 1
                    return False
        except aiohttp.ClientError:
            return False
        self.pushed.append((int(update["update_id"]), origin or url))
        return True

    def _origin(self) -> str | None:
        if not self.webhook_origins:
            return self.webhook_origin
        origin = self.webhook_origins[self._next_origin % len(self.webhook_origins)]
        self._next_origin += 1
        return origin

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def close(self) -> None:
        async with self._changed:  # wake long polls so the server can stop at once
            self._closing = True
            self._changed.notify_all()
        if self._push_task is not None:
            self._push_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._push_task
        if self._http is not None:
            await self._http.close()


def _snake(method: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "Bad Request: chat not found") from exc


def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    return markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None


def _check_markup(markup: Any) -> None:
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )


async def _params(request: web.Request) -> dict[str, Any]:
    """Query string, JSON, form or multipart: Telegram accepts them all."""
    params: dict[str, Any] = dict(request.query)
    kind = request.content_type
    if kind == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
    elif kind == "multipart/form-data":
        async for part in await request.multipart():
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename:
                content = bytes(await part.read())
                params[part.name] = f"<upload {part.filename}>"
                params.setdefault(UPLOADS, {})[part.name] = Upload(part.filename, content)
            else:
                params[part.name] = await part.text()
    elif request.can_read_body:
        params.update(dict(await request.post()))
    return {key: _coerce(key, value) for key, value in params.items()}


def _coerce(key: str, value: Any) -> Any:
    if isinstance(value, str) and key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, str) and key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


def _error(exc: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.retry_after is not None:
        body["parameters"] = {"retry_after": exc.retry_after}
    if exc.migrate_to_chat_id is not None:
        body["parameters"] = {"migrate_to_chat_id": exc.migrate_to_chat_id}
    return web.json_response(body, status=exc.code)


@asynccontextmanager
async def running_fake_telegram(token: str = TOKEN) -> AsyncIterator[FakeTelegram]:
    """Serve a fresh fake on a free local port; ``fake.url`` is the TELEGRAM_API_URL."""
    fake = FakeTelegram(token)
    await fake.start()
    try:
        async with serving(fake.app()) as url:
            fake.url = url
            yield fake
    finally:
        await fake.close()


_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}


def _scope_type(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    kind = scope.get("type", "")
    if kind not in _SCOPES:
        raise ApiError(400, "Bad Request: wrong scope type")
    return str(kind)
