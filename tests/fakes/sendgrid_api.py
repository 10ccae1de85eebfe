"""A local SendGrid v3 Mail Send API in its wire format, for the real ``sendgrid`` library.

``POST /v3/mail/send`` with ``Authorization: Bearer <key>`` and the documented JSON body
(``personalizations``, ``from``, ``subject``, ``content``…). Answers ``202 Accepted`` with an
empty body and an ``X-Message-Id`` header; errors are ``{"errors": [{"message", "field",
"help"}]}`` with 400/401/413/429/5xx. Point SENDGRID_API_URL (``api_url=``) at ``url``.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import LocalServer

API_KEY = "SG.fake-key.0123456789abcdefghijklmnopqrstuvwxyz"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _error(status: int, message: str, field_name: str | None = None) -> web.Response:
    body = {"errors": [{"message": message, "field": field_name, "help": None}]}
    return web.json_response(body, status=status)


def _first_problem(mail: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) of the first thing SendGrid would refuse in ``mail``."""
    personalizations = mail.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return "personalizations", "The personalizations field is required."
    for i, p in enumerate(personalizations):
        to = p.get("to") if isinstance(p, dict) else None
        if not isinstance(to, list) or not to:
            return f"personalizations.{i}.to", "The to array is required for all personalizations."
        for j, recipient in enumerate(to):
            if not _EMAIL.match(str(recipient.get("email", ""))):
                return f"personalizations.{i}.to.{j}.email", "Does not contain a valid address."
    if not _EMAIL.match(str((mail.get("from") or {}).get("email", ""))):
        return "from.email", "The from email does not contain a valid address."
    if not mail.get("subject") and not all(p.get("subject") for p in personalizations):
        return "subject", "The subject is required."
    content = mail.get("content")
    if not isinstance(content, list) or not content or not all(c.get("value") for c in content):
        return "content", "The content value must be a string at least one character in length."
    if len(content) > 1 and content[0].get("type") != "text/plain":
        return "content.0.type", "The text/plain content type must be first."
    return None


@dataclass
class FakeSendgridApi:
    """Records accepted mails; set the fields to misbehave."""

    api_key: str = API_KEY
    accepted: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    status_override: int | None = None  # e.g. 503 during an outage
    undeliverable: set[str] = field(default_factory=set)  # addresses answered with 400
    server: LocalServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/mail/send", self._send)
        return app

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeSendgridApi]:
        self.server = LocalServer(self.app())
        await self.server.start()
        try:
            yield self
        finally:
            await self.server.close()

    def recipients(self) -> list[str]:
        return [to["email"] for m in self.accepted for p in m["personalizations"] for to in p["to"]]

    async def _send(self, request: web.Request) -> web.Response:
        self.requests += 1
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _error(401, "The provided authorization grant is invalid, expired, or revoked")
        if self.status_override is not None:
            return _error(self.status_override, "Service Unavailable")
        try:
            mail = json.loads(await request.read())
        except ValueError:
            return _error(400, "Bad Request")
        problem = _first_problem(mail)
        if problem is not None:
            return _error(400, problem[1], problem[0])
        for i, p in enumerate(mail["personalizations"]):
            for j, to in enumerate(p["to"]):
                if to["email"] in self.undeliverable:
                    where = f"personalizations.{i}.to.{j}.email"
                    return _error(400, "Does not contain a valid address.", where)
        self.accepted.append(mail)
        return web.Response(status=202, headers={"X-Message-Id": secrets.token_urlsafe(16)})
