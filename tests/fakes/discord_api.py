"""A local fake of Discord: the REST API (v10) and the gateway websocket, in one aiohttp app.

The real discord.py talks to it through DISCORD_API_URL (``<url>/api/v10``) and
DISCORD_GATEWAY_URL (``<ws-url>/gateway``). It speaks Discord's wire format and is strict
where Discord is:

- gateway: HELLO, IDENTIFY (token checked, shard respected), READY with
  ``resume_gateway_url`` and ``application``, GUILD_CREATE for the shard's guilds, heartbeat
  ACKs, RESUME (events after the client's sequence replayed, then RESUMED);
- interactions: INTERACTION_CREATE for slash commands, autocomplete, components and modal
  submits; the callback must come within 3 s (else 404 10062 Unknown interaction), only once
  (400 40060 already acknowledged), and a modal only as the first response;
- messages (channel POST and webhook followups): content ≤ 2000, ≤ 10 embeds within their
  limits (6000 characters in all), ≤ 5 action rows of ≤ 5 buttons or one select, custom_id
  ≤ 100 and unique, link buttons with a url and no custom_id; errors as 400 50035 Invalid
  Form Body with Discord's nested ``errors`` shape;
- faults a test plants: 429 with Retry-After / X-RateLimit-* (and Via, as Discord's edge
  sends it), 403 50001 Missing Access / 50013 Missing Permissions / 50007 cannot DM, 404
  10003 Unknown Channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

from tests.fakes.local_server import LocalServer

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.fake.discord-token-for-tests_0123456789"
BOT_ID = 100000000000000001
APPLICATION_ID = BOT_ID
DISCORD_EPOCH_MS = 1420070400000
HEARTBEAT_MS = 41250
INTERACTION_DEADLINE = 3.0

CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)  # view, send…


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        if self.status == 429:
            return {"message": self.message, "retry_after": self.retry_after, "global": False}
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


MISSING_ACCESS = (403, 50001, "Missing Access")
MISSING_PERMISSIONS = (403, 50013, "Missing Permissions")
CANNOT_DM = (403, 50007, "Cannot send messages to this user")
UNKNOWN_CHANNEL = (404, 10003, "Unknown Channel")
UNKNOWN_GUILD = (404, 10004, "Unknown Guild")
UNKNOWN_MEMBER = (404, 10007, "Unknown Member")


def fault(kind: tuple[int, int, str]) -> ApiError:
    return ApiError(*kind)


def rate_limited(retry_after: float) -> ApiError:
    reset = time.time() + retry_after
    headers = {
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{reset:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": "fakebucket",
        "X-RateLimit-Scope": "user",
        "Via": "1.1 google",  # Discord's edge; discord.py treats a 429 without it as a ban
    }
    return ApiError(429, 0, "You are being rate limited.", headers=headers, retry_after=retry_after)


# --- validation, as Discord does it ---------------------------------------------------------


def _err(path: list[str], code: str, message: str) -> dict[str, Any]:
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(path):
        tree = {part: tree}
    return tree


def invalid(path: list[str], code: str, message: str) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", _err(path, code, message))


def _too_long(path: list[str], limit: int) -> ApiError:
    return invalid(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


async def _message_body(request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """A message body as JSON, or multipart with ``payload_json`` and ``files[n]`` parts (a
    message with attachments, as discord.py sends it)."""
    if not request.content_type.startswith("multipart/"):
        return await request.json(), []
    body: dict[str, Any] = {}
    files: list[tuple[str, bytes]] = []
    async for part in await request.multipart():
        if not isinstance(part, aiohttp.BodyPartReader):
            continue
        if part.name == "payload_json":
            body = json.loads(await part.text())
        elif (part.name or "").startswith("files["):
            files.append((part.filename or "file", bytes(await part.read())))
    if files and not body.get("attachments"):
        body["attachments"] = [{"id": str(n), "filename": f} for n, (f, _) in enumerate(files)]
    return body, files


def validate_message(payload: dict[str, Any]) -> None:
    """Raise ApiError as Discord would for this message body."""
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    if not isinstance(content, str):
        raise invalid(["content"], "BASE_TYPE_STRING", "Must be a string.")
    if len(content) > CONTENT_LIMIT:
        raise _too_long(["content"], CONTENT_LIMIT)
    if not content and not embeds and not components and not payload.get("attachments"):
        raise ApiError(400, 50006, "Cannot send an empty message")
    if len(embeds) > EMBEDS_LIMIT:
        raise _too_long(["embeds"], EMBEDS_LIMIT)
    total = 0
    for index, embed in enumerate(embeds):
        total += _validate_embed(embed, ["embeds", str(index)])
    if total > EMBED_TOTAL:
        raise invalid(
            ["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    validate_components(components)


def _validate_embed(embed: dict[str, Any], path: list[str]) -> int:
    size = 0
    for key, limit in EMBED_LIMITS.items():
        value = embed.get(key) or ""
        if len(value) > limit:
            raise _too_long([*path, key], limit)
        size += len(value)
    url = embed.get("url")
    if url is not None and not str(url).startswith(("http://", "https://")):
        raise invalid([*path, "url"], "URL_TYPE_INVALID_URL", "Not a well formed URL.")
    size += _validate_fields(embed.get("fields") or [], [*path, "fields"])
    footer = (embed.get("footer") or {}).get("text") or ""
    if len(footer) > 2048:
        raise _too_long([*path, "footer", "text"], 2048)
    author = (embed.get("author") or {}).get("name") or ""
    if len(author) > 256:
        raise _too_long([*path, "author", "name"], 256)
    return size + len(footer) + len(author)


def _validate_fields(fields: list[dict[str, Any]], path: list[str]) -> int:
    if len(fields) > 25:
        raise _too_long(path, 25)
    size = 0
    for n, item in enumerate(fields):
        if not item.get("name") or not item.get("value"):
            raise invalid([*path, str(n)], "BASE_TYPE_REQUIRED", "This field is required")
        if len(item["name"]) > 256:
            raise _too_long([*path, str(n), "name"], 256)
        if len(item["value"]) > 1024:
            raise _too_long([*path, str(n), "value"], 1024)
        size += len(item["name"]) + len(item["value"])
    return size


def validate_components(rows: list[dict[str, Any]]) -> None:
    if len(rows) > 5:
        raise _too_long(["components"], 5)
    seen: set[str] = set()
    for r, row in enumerate(rows):
        path = ["components", str(r)]
        if row.get("type") != 1:
            raise invalid([*path, "type"], "UNION_TYPE_CHOICES", "Value of field type must be 1")
        items = row.get("components") or []
        if not items:
            raise invalid([*path, "components"], "BASE_TYPE_MIN_LENGTH", "Must be 1 or more.")
        selects = [c for c in items if c.get("type") in (3, 5, 6, 7, 8)]
        if selects and len(items) > 1:
            raise invalid([*path, "components"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "too wide")
        if len(items) > 5:
            raise invalid([*path, "components"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "too wide")
        for c, item in enumerate(items):
            _validate_item(item, [*path, "components", str(c)], seen)


def _validate_item(item: dict[str, Any], path: list[str], seen: set[str]) -> None:
    custom_id = item.get("custom_id")
    if item.get("type") == 2 and item.get("style") == 5:
        if not item.get("url") or custom_id is not None:
            raise invalid(path, "BUTTON_COMPONENT_URL_REQUIRED", "A link button needs a url")
    elif item.get("type") == 2 and item.get("style") != 6 and not custom_id:
        raise invalid([*path, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")
    _validate_custom_id(custom_id, path, seen)
    if len(item.get("label") or "") > LABEL_LIMIT:
        raise _too_long([*path, "label"], LABEL_LIMIT)
    _validate_options(item.get("options"), [*path, "options"])


def _validate_custom_id(custom_id: str | None, path: list[str], seen: set[str]) -> None:
    if custom_id is not None:
        if len(custom_id) > CUSTOM_ID_LIMIT:
            raise _too_long([*path, "custom_id"], CUSTOM_ID_LIMIT)
        if custom_id in seen:
            raise invalid(
                [*path, "custom_id"],
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def _validate_options(options: list[dict[str, Any]] | None, path: list[str]) -> None:
    if options is None:
        return
    if not 1 <= len(options) <= 25:
        raise _too_long(path, 25)
    for o, option in enumerate(options):
        for key in ("label", "value"):
            if not option.get(key) or len(option[key]) > 100:
                raise _too_long([*path, str(o), key], 100)


def validate_modal(data: dict[str, Any]) -> None:
    if not data.get("custom_id") or len(data["custom_id"]) > CUSTOM_ID_LIMIT:
        raise _too_long(["data", "custom_id"], CUSTOM_ID_LIMIT)
    if not data.get("title") or len(data["title"]) > 45:
        raise _too_long(["data", "title"], 45)
    rows = data.get("components") or []
    if not 1 <= len(rows) <= 5:
        raise _too_long(["data", "components"], 5)
    for r, row in enumerate(rows):
        inner = row.get("components") or [row.get("component")]
        for item in inner:
            if item is None or item.get("type") != 4:
                raise invalid(
                    ["data", "components", str(r)], "UNION_TYPE_CHOICES", "not a text input"
                )
            if len(item.get("label") or "") > 45:
                raise _too_long(["data", "components", str(r), "label"], 45)


# --- the fake ------------------------------------------------------------------------------


@dataclass
class Sent:
    """A message as the fake stores it (Discord's message object), with where it came from."""

    data: dict[str, Any]
    via: str  # "channel" or "webhook" or "callback"
    ephemeral: bool = False
    files: list[tuple[str, bytes]] = field(default_factory=list)  # uploaded (multipart)

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def text(self) -> str:
        parts = [self.data.get("content") or ""]
        for embed in self.data.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    def buttons(self) -> list[dict[str, Any]]:
        return [c for row in self.data.get("components") or [] for c in row["components"]]

    def button(self, label: str) -> dict[str, Any]:
        for item in self.buttons():
            if label.lower() in (item.get("label") or "").lower():
                return item
            for option in item.get("options") or []:
                if label.lower() in option["label"].lower():
                    return {**item, "_option": option["value"]}
        raise AssertionError(f"no component {label!r} in {self.buttons()}")


@dataclass
class Interaction:
    id: str
    token: str
    type: int
    payload: dict[str, Any]
    created: float = field(default_factory=time.monotonic)
    responses: list[dict[str, Any]] = field(default_factory=list)
    deferred: bool = False
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    original: Sent | None = None
    followups: list[Sent] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Connection:
    ws: web.WebSocketResponse
    shard: tuple[int, int]
    session_id: str
    sequence: int = 0


class FakeDiscord:
    """The fake's state and its handlers; tests drive it and read what the bot did."""

    def __init__(self) -> None:
        self.url = ""  # set once serving
        self._ids = itertools.count(1)
        self.guilds: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: list[Sent] = []
        self.interactions: dict[str, Interaction] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # scope ("global"/guild) → defs
        self.command_puts = 0
        self.calls: list[tuple[str, str]] = []
        self.connections: list[Connection] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.sessions: dict[str, list[dict[str, Any]]] = {}  # session id → events sent
        self.faults: dict[str, list[ApiError]] = {}  # channel id → errors to answer, in order
        self.departed: dict[str, set[str]] = {}  # guild id → user ids who left the server
        self.deadline = INTERACTION_DEADLINE
        self._changed = asyncio.Event()

    # --- the world ---------------------------------------------------------------------------
    def snowflake(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    @staticmethod
    def user(user_id: int, name: str) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name.lower(),
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": False,
        }

    def add_guild(self, name: str = "Bikes", owner: dict[str, Any] | None = None) -> dict[str, Any]:
        guild_id = self.snowflake()
        channel_id = self.snowflake()
        channel = {"id": channel_id, "type": 0, "name": "alerts", "position": 0,
                   "guild_id": guild_id, "permission_overwrites": [], "nsfw": False}  # fmt: skip
        guild = {
            "id": guild_id,
            "name": name,
            "icon": None,
            "owner_id": (owner or {}).get("id", "1"),
            "unavailable": False,
            "member_count": 2,
            "large": False,
            "joined_at": datetime.now(UTC).isoformat(),
            "channels": [channel],
            "threads": [],
            "roles": [
                {
                    "id": guild_id,
                    "name": "@everyone",
                    "permissions": str(MEMBER_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "members": [],
            "voice_states": [],
            "presences": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
        }
        self.guilds[guild_id] = guild
        self.channels[channel_id] = channel
        return guild

    def dm_channel(self, user: dict[str, Any]) -> str:
        for cid, channel in self.channels.items():
            if channel.get("type") == 1 and channel["recipients"][0]["id"] == user["id"]:
                return cid
        cid = self.snowflake()
        self.channels[cid] = {"id": cid, "type": 1, "recipients": [user], "last_message_id": None}
        return cid

    def fail_next(self, channel_id: str, *errors: ApiError) -> None:
        """The next sends to ``channel_id`` get these answers, in order (then success)."""
        self.faults.setdefault(channel_id, []).extend(errors)

    def delete_channel(self, channel_id: str) -> None:
        self.channels.pop(channel_id, None)

    # --- driving the bot ----------------------------------------------------------------------
    def add_role(self, guild: dict[str, Any], name: str) -> str:
        """A server role (before the bot connects: GUILD_CREATE carries the roles)."""
        role_id = self.snowflake()
        guild["roles"].append({**guild["roles"][0], "id": role_id, "name": name, "position": 1})
        return role_id

    def _base(
        self,
        kind: int,
        user: dict[str, Any],
        channel_id: str,
        permissions: int,
        roles: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        channel = self.channels[channel_id]
        payload: dict[str, Any] = {
            "id": self.snowflake(),
            "application_id": str(APPLICATION_ID),
            "type": kind,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            "version": 1,
            "channel_id": channel_id,
            "channel": {k: v for k, v in channel.items() if k != "recipients"},
            "locale": "en-GB",
            "app_permissions": str(MEMBER_PERMISSIONS),
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
            "authorizing_integration_owners": {"0": channel.get("guild_id", user["id"])},
        }
        guild_id = channel.get("guild_id")
        if guild_id:
            payload["guild_id"] = guild_id
            payload["guild_locale"] = "en-US"
            payload["context"] = 0
            payload["member"] = {
                "user": user,
                "roles": list(roles),
                "joined_at": datetime.now(UTC).isoformat(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "nick": None,
                "avatar": None,
                "permissions": str(permissions),
            }
        else:
            payload["user"] = user
            payload["context"] = 1
        return payload

    async def command(
        self,
        user: dict[str, Any],
        channel_id: str,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        permissions: int = MEMBER_PERMISSIONS,
        roles: tuple[str, ...] = (),
    ) -> Interaction:
        payload = self._base(2, user, channel_id, permissions, roles)
        known = self._command(name, payload.get("guild_id"))
        opts = [
            {"name": k, "type": _option_type(known, k), "value": v}
            for k, v in (options or {}).items()
        ]
        payload["data"] = {"id": known["id"], "name": name, "type": 1, "options": opts}
        self._resolve(payload)
        if payload.get("guild_id") and known.get("guild_id"):
            payload["data"]["guild_id"] = known["guild_id"]
        return await self._deliver(payload)

    async def autocomplete(
        self, user: dict[str, Any], channel_id: str, name: str, option: str, typed: str,
        *, permissions: int = MEMBER_PERMISSIONS,
    ) -> Interaction:  # fmt: skip
        payload = self._base(4, user, channel_id, permissions)
        known = self._command(name, payload.get("guild_id"))
        focused = {"name": option, "type": _option_type(known, option), "value": typed,
                   "focused": True}  # fmt: skip
        payload["data"] = {"id": known["id"], "name": name, "type": 1, "options": [focused]}
        return await self._deliver(payload)

    async def press(
        self,
        user: dict[str, Any],
        message: Sent,
        custom_id: str,
        *,
        values: list[str] | None = None,
        permissions: int = MEMBER_PERMISSIONS,
        roles: tuple[str, ...] = (),
    ) -> Interaction:
        channel_id = str(message.data["channel_id"])
        payload = self._base(3, user, channel_id, permissions, roles)
        payload["message"] = message.data
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2}
        if values is not None:
            data = {"custom_id": custom_id, "component_type": 3, "values": values}
        payload["data"] = data
        return await self._deliver(payload)

    async def submit(
        self,
        user: dict[str, Any],
        channel_id: str,
        modal: dict[str, Any],
        answers: dict[str, str],
        *,
        permissions: int = MEMBER_PERMISSIONS,
        roles: tuple[str, ...] = (),
    ) -> Interaction:
        payload = self._base(5, user, channel_id, permissions, roles)
        rows = []
        for row in modal["components"]:
            for item in row["components"]:
                value = answers.get(item["custom_id"], "")
                rows.append({"type": 1, "components": [
                    {"type": 4, "custom_id": item["custom_id"], "value": value}]})  # fmt: skip
        payload["data"] = {"custom_id": modal["custom_id"], "components": rows}
        return await self._deliver(payload)

    def _resolve(self, payload: dict[str, Any]) -> None:
        """Role options come with the role objects in ``data.resolved``, as in Discord."""
        guild = self.guilds.get(payload.get("guild_id") or "")
        wanted = {o["value"] for o in payload["data"]["options"] if o["type"] == 8}
        if guild and wanted:
            roles = {r["id"]: r for r in guild["roles"] if r["id"] in wanted}
            payload["data"]["resolved"] = {"roles": roles}

    def _command(self, name: str, guild_id: str | None) -> dict[str, Any]:
        scopes = ([guild_id] if guild_id else []) + ["global"]
        for scope in scopes:
            for known in self.commands.get(str(scope), []):
                if known["name"] == name:
                    return known
        raise AssertionError(f"/{name} was not registered: {self.commands}")

    async def _deliver(self, payload: dict[str, Any]) -> Interaction:
        interaction = Interaction(payload["id"], payload["token"], payload["type"], payload)
        self.interactions[interaction.id] = interaction
        guild_id = payload.get("guild_id")
        await self.dispatch("INTERACTION_CREATE", payload, guild_id)
        return interaction

    async def answered(self, interaction: Interaction, within: float = 10) -> Interaction:
        async with asyncio.timeout(within):
            await interaction.done.wait()
        return interaction

    async def wait_for(self, predicate: Any, within: float = 15) -> Any:
        """The first value ``predicate()`` returns that is truthy, checked on every change."""
        async with asyncio.timeout(within):
            while True:
                found = predicate()
                if found:
                    return found
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        await self._changed.wait()

    async def message_with(self, text: str, within: float = 15, **where: Any) -> Sent:
        def find() -> Sent | None:
            for sent in reversed(self.messages):
                if text in sent.text and all(sent.data.get(k) == v for k, v in where.items()):
                    return sent
            return None

        try:
            found: Sent = await self.wait_for(find, within)
        except TimeoutError:
            seen = "\n---\n".join(s.text for s in self.messages)
            raise AssertionError(f"no message with {text!r}; messages:\n{seen}") from None
        return found

    def _touch(self) -> None:
        self._changed.set()

    # --- gateway -----------------------------------------------------------------------------
    def _shard_of(self, guild_id: str | None, count: int) -> int:
        return 0 if guild_id is None else (int(guild_id) >> 22) % count

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: str | None) -> None:
        for conn in list(self.connections):
            shard_id, count = conn.shard
            if self._shard_of(guild_id, count) != shard_id:
                continue
            await self._send_event(conn, event, data)
            return
        raise AssertionError(f"no gateway connection serves guild {guild_id}")

    async def _send_event(self, conn: Connection, event: str, data: dict[str, Any]) -> None:
        conn.sequence += 1
        frame = {"op": 0, "t": event, "s": conn.sequence, "d": data}
        self.sessions.setdefault(conn.session_id, []).append(frame)
        if not conn.ws.closed:
            await conn.ws.send_str(json.dumps(frame))

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway socket as Discord does on a hiccup: the bot should RESUME."""
        for conn in list(self.connections):
            self.connections.remove(conn)
            await conn.ws.close(code=code, message=b"fake: reconnect")

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_MS}}))
        conn: Connection | None = None
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
                frame = json.loads(msg.data)
                conn = await self._gateway_frame(ws, frame, conn)
        finally:
            if conn is not None and conn in self.connections:
                self.connections.remove(conn)
        return ws

    async def _gateway_frame(
        self, ws: web.WebSocketResponse, frame: dict[str, Any], conn: Connection | None
    ) -> Connection | None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            await ws.send_str(json.dumps({"op": 11}))
        elif op == 2:
            if data.get("token") != TOKEN:
                await ws.close(code=4004, message=b"Authentication failed.")
                return None
            if data.get("intents", 0) & ((1 << 1) | (1 << 8) | (1 << 15)):
                await ws.close(code=4014, message=b"Disallowed intent(s).")
                return None
            self.identifies.append(data)
            shard = tuple(data.get("shard") or (0, 1))
            conn = Connection(ws, (int(shard[0]), int(shard[1])), secrets.token_hex(16))
            self.connections.append(conn)
            await self._ready(conn)
        elif op == 6:
            self.resumes.append(data)
            old = self.sessions.get(data.get("session_id"), [])
            if data.get("token") != TOKEN or not old:
                await ws.send_str(json.dumps({"op": 9, "d": False}))
                return None
            shard = self._shard_from(old)
            conn = Connection(ws, shard, data["session_id"], int(data.get("seq") or 0))
            self.connections.append(conn)
            for missed in old:
                if missed["s"] > int(data.get("seq") or 0):
                    await ws.send_str(json.dumps(missed))
                    conn.sequence = max(conn.sequence, missed["s"])
            await self._send_event(conn, "RESUMED", {})
        return conn

    @staticmethod
    def _shard_from(frames: list[dict[str, Any]]) -> tuple[int, int]:
        for frame in frames:
            if frame.get("t") == "READY":
                shard = frame["d"].get("shard") or [0, 1]
                return int(shard[0]), int(shard[1])
        return 0, 1

    async def _ready(self, conn: Connection) -> None:
        shard_id, count = conn.shard
        mine = [g for g in self.guilds.values() if self._shard_of(g["id"], count) == shard_id]
        ready = {
            "v": 10,
            "user": {
                **self.user(BOT_ID, "Monitor"),
                "bot": True,
                "verified": True,
                "flags": 0,
                "mfa_enabled": False,
            },
            "guilds": [{"id": g["id"], "unavailable": True} for g in mine],
            "session_id": conn.session_id,
            "resume_gateway_url": self.ws_url,
            "shard": [shard_id, count],
            "application": {"id": str(APPLICATION_ID), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await self._send_event(conn, "READY", ready)
        for guild in mine:
            await self._send_event(conn, "GUILD_CREATE", guild)
        self._touch()

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    # --- REST --------------------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {TOKEN}":
            raise ApiError(401, 0, "401: Unauthorized")

    async def me(self, request: web.Request) -> web.Response:
        self._authorized(request)
        return _json({**self.user(BOT_ID, "Monitor"), "bot": True, "flags": 0})

    async def application(self, request: web.Request) -> web.Response:
        self._authorized(request)
        return _json(
            {
                "id": str(APPLICATION_ID),
                "name": "Monitor",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": self.user(1, "Owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "interactions_endpoint_url": None,
            }
        )

    async def gateway_bot(self, request: web.Request) -> web.Response:
        self._authorized(request)
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.ws_url, "shards": 1, "session_start_limit": limit})

    async def get_member(self, request: web.Request) -> web.Response:
        """GET /guilds/{guild}/members/{user}: needs no privileged intent (unlike listing
        members); 10007 Unknown Member once the user has left."""
        self._authorized(request)
        guild_id, user_id = request.match_info["guild"], request.match_info["user"]
        if guild_id not in self.guilds:
            raise ApiError(*UNKNOWN_GUILD)
        if user_id in self.departed.get(guild_id, set()):
            raise ApiError(*UNKNOWN_MEMBER)
        user = self.user(int(user_id), "member")
        return _json({"user": user, "nick": None, "avatar": None, "roles": [],
                      "joined_at": datetime.now(UTC).isoformat(), "deaf": False,
                      "mute": False, "flags": 0, "pending": False})  # fmt: skip

    async def get_commands(self, request: web.Request) -> web.Response:
        self._authorized(request)
        scope = request.match_info.get("guild", "global")
        return _json(self.commands.get(scope, []))

    async def put_commands(self, request: web.Request) -> web.Response:
        self._authorized(request)
        scope = request.match_info.get("guild", "global")
        body = await request.json()
        if len(body) > 100:
            raise _too_long([], 100)
        stored = []
        for n, command in enumerate(body):
            name = command.get("name") or ""
            if not 1 <= len(name) <= 32 or name != name.lower():
                raise invalid([str(n), "name"], "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")
            if not 1 <= len(command.get("description") or "") <= 100:
                raise _too_long([str(n), "description"], 100)
            stored.append({**command, "id": self.snowflake(), "application_id":
                           str(APPLICATION_ID), "version": self.snowflake(),
                           **({"guild_id": scope} if scope != "global" else {})})  # fmt: skip
        self.commands[scope] = stored
        self.command_puts += 1
        self._touch()
        return _json(stored)

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.interactions.get(request.match_info["id"])
        if interaction is None or interaction.token != request.match_info["token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        body = await request.json()
        kind = body.get("type")
        if time.monotonic() - interaction.created > self.deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        if interaction.responses:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        data = body.get("data") or {}
        self._respond(interaction, kind, data)
        interaction.responses.append(body)
        interaction.done.set()
        self._touch()
        with_response = request.query.get("with_response") in ("1", "true", "True")
        if not with_response:
            return web.Response(status=204)
        message = interaction.original.data if interaction.original else None
        result: dict[str, Any] = {
            "interaction": {
                "id": interaction.id,
                "type": interaction.type,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool((data.get("flags") or 0) & 64),
            },
            "resource": {"type": kind, **({"message": message} if message else {})},
        }
        return _json(result)

    def _respond(self, interaction: Interaction, kind: int, data: dict[str, Any]) -> None:
        if kind == 9:
            if interaction.type not in (2, 3):
                raise ApiError(400, 50035, "Invalid Form Body")
            validate_modal(data)
            interaction.modal = data
        elif kind == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise _too_long(["data", "choices"], 25)
            interaction.choices = choices
        elif kind in (5, 6):
            interaction.deferred = True
            if kind == 5:
                ephemeral = bool((data.get("flags") or 0) & 64)
                interaction.original = self._store(
                    {"content": "", "flags": data.get("flags") or 0}, interaction, "callback",
                    ephemeral=ephemeral, check=False,
                )  # fmt: skip
        elif kind in (4, 7):
            validate_message(data)
            ephemeral = bool((data.get("flags") or 0) & 64)
            interaction.original = self._store(data, interaction, "callback", ephemeral=ephemeral)
        else:
            raise invalid(["type"], "BASE_TYPE_CHOICES", f"Value {kind} is not a valid enum value")

    def _interaction_by_token(self, request: web.Request) -> Interaction:
        if request.match_info["app"] != str(APPLICATION_ID):
            raise ApiError(404, 10015, "Unknown Webhook")
        for interaction in self.interactions.values():
            if interaction.token == request.match_info["token"]:
                if not interaction.responses:
                    raise ApiError(404, 10015, "Unknown Webhook")  # not acknowledged yet
                return interaction
        raise ApiError(404, 10015, "Unknown Webhook")

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        body, files = await _message_body(request)
        ephemeral = bool((body.get("flags") or 0) & 64)
        loading = bool(interaction.responses) and interaction.responses[0].get("type") == 5
        if loading and interaction.original is not None and not interaction.followups:
            # The first followup fills the "thinking…" message: the defer's flags are kept
            # and the followup's ignored (a secret sent first after a public defer is public).
            ephemeral = interaction.original.ephemeral
        elif interaction.original is not None and interaction.original.ephemeral:
            ephemeral = True
        sent = self._store(body, interaction, "webhook", ephemeral=ephemeral)
        sent.files = files
        sent.data["attachments"] = [
            {"id": str(n), "filename": name, "size": len(content)}
            for n, (name, content) in enumerate(files)
        ]
        interaction.followups.append(sent)
        self._touch()
        return _json(sent.data)

    async def edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction_by_token(request)
        body = await request.json()
        target = interaction.original
        message_id = request.match_info["message"]
        if message_id == "@original" and target is None and interaction.type == 3:
            message = interaction.payload["message"]
            target = next((s for s in self.messages if s.id == message["id"]), None)
        elif message_id != "@original":
            target = next((s for s in self.messages if s.id == message_id), None)
        if target is None:
            raise ApiError(404, 10008, "Unknown Message")
        merged = {**target.data, **{k: v for k, v in body.items() if v is not None}}
        validate_message(merged)
        target.data.update(merged)
        target.data["edited_timestamp"] = datetime.now(UTC).isoformat()
        self._touch()
        return _json(target.data)

    async def channel_message(self, request: web.Request) -> web.Response:
        self._authorized(request)
        channel_id = request.match_info["channel"]
        body = await request.json()
        pending = self.faults.get(channel_id)
        if pending:
            raise pending.pop(0)
        channel = self.channels.get(channel_id)
        if channel is None:
            raise ApiError(*UNKNOWN_CHANNEL)
        validate_message(body)
        sent = self._store(body, None, "channel", channel_id=channel_id)
        self._touch()
        return _json(sent.data)

    async def create_dm(self, request: web.Request) -> web.Response:
        self._authorized(request)
        body = await request.json()
        user = self.user(int(body["recipient_id"]), "someone")
        cid = self.dm_channel(user)
        return _json(self.channels[cid])

    def _store(
        self,
        body: dict[str, Any],
        interaction: Interaction | None,
        via: str,
        *,
        ephemeral: bool = False,
        channel_id: str | None = None,
        check: bool = True,
    ) -> Sent:
        if check:
            validate_message(body)
        if interaction is not None:
            channel_id = interaction.payload.get("channel_id")
        data = {
            "id": self.snowflake(),
            "type": 0 if interaction is None else 20,
            "channel_id": channel_id,
            "author": {**self.user(BOT_ID, "Monitor"), "bot": True},
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "flags": (body.get("flags") or 0) | (64 if ephemeral else 0),
            "allowed_mentions": body.get("allowed_mentions"),
        }
        if interaction is not None:
            data["webhook_id"] = str(APPLICATION_ID)
            data["application_id"] = str(APPLICATION_ID)
        sent = Sent(data, via, ephemeral)
        self.messages.append(sent)
        return sent

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors])
        api = "/api/v10"
        r = app.router
        r.add_get("/gateway", self.gateway)
        r.add_get("/gateway/", self.gateway)
        r.add_get(f"{api}/users/@me", self.me)
        r.add_get(f"{api}/guilds/{{guild}}/members/{{user}}", self.get_member)
        r.add_get(f"{api}/gateway/bot", self.gateway_bot)
        r.add_get(f"{api}/oauth2/applications/@me", self.application)
        r.add_get(f"{api}/applications/{{app}}/commands", self.get_commands)
        r.add_put(f"{api}/applications/{{app}}/commands", self.put_commands)
        r.add_get(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self.get_commands)
        r.add_put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self.put_commands)
        r.add_post(f"{api}/interactions/{{id}}/{{token}}/callback", self.callback)
        r.add_post(f"{api}/webhooks/{{app}}/{{token}}", self.followup)
        r.add_patch(f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}", self.edit_original)
        r.add_post(f"{api}/channels/{{channel}}/messages", self.channel_message)
        r.add_post(f"{api}/users/@me/channels", self.create_dm)
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except ApiError as exc:
            return _json(exc.body(), status=exc.status, headers=exc.headers)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON as Discord sends it: ``Content-Type: application/json`` exactly (discord.py
    parses a body as JSON only then)."""
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


def _option_type(command: dict[str, Any], name: str) -> int:
    for option in command.get("options") or []:
        if option["name"] == name:
            return int(option["type"])
    raise AssertionError(f"/{command['name']} has no option {name!r}")


@asynccontextmanager
async def running_fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    server = LocalServer(fake.app())
    await server.start()
    fake.url = server.url
    try:
        yield fake
    finally:
        for conn in list(fake.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close()
        await server.close()


def api_url(fake: FakeDiscord) -> str:
    return f"{fake.url}/api/v10"
