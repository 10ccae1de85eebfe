"""A local Twilio REST API (Messages) in its wire format, for the real ``twilio`` library.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP Basic auth (SID:token),
form-encoded ``To``, ``From``, ``Body``. Answers 201 with the Message resource JSON; errors
are ``{"code", "message", "more_info", "status"}`` (20003 bad credentials, 21211 invalid
'To', 21610 unsubscribed, 21614 not a mobile…). Point TWILIO_API_URL at ``url``.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from tests.fakes.local_server import LocalServer

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
FROM_NUMBER = "+447700900001"
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€\f"
)
# Twilio's documented magic numbers for test credentials, with the errors they produce.
REJECTED = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}


def segments(body: str) -> int:
    """How Twilio counts an SMS: GSM-7 160 (153 per part), else UCS-2 70 (67 per part)."""
    if all(c in _GSM for c in body):
        length = sum(2 if c in "^{}\\[~]|€\f" else 1 for c in body)
        return 1 if length <= 160 else -(-length // 153)
    length = len(body.encode("utf-16-le")) // 2
    return 1 if length <= 70 else -(-length // 67)


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )


@dataclass
class FakeTwilioApi:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    status_override: int | None = None  # e.g. 503 during an outage
    rejected: dict[str, tuple[int, str]] = field(default_factory=lambda: dict(REJECTED))
    server: LocalServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        return app

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeTwilioApi]:
        self.server = LocalServer(self.app())
        await self.server.start()
        try:
            yield self
        finally:
            await self.server.close()

    def bodies_to(self, number: str) -> list[str]:
        return [m["body"] for m in self.messages if m["to"] == number]

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    async def _create(self, request: web.Request) -> web.Response:
        self.requests += 1
        if not self._authorised(request):
            return _error(401, 20003, "Authenticate")
        if request.match_info["sid"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        if self.status_override is not None:
            return _error(self.status_override, 20500, "Internal Server Error")
        form = await request.post()
        to, sender, body = (str(form.get(k, "")) for k in ("To", "From", "Body"))
        problem = self._problem(to, sender, body)
        if problem is not None:
            return _error(400, *problem)
        message = self._resource(to, sender, body)
        self.messages.append(message)
        return web.json_response(message, status=201)

    def _problem(self, to: str, sender: str, body: str) -> tuple[int, str] | None:
        if not to:
            return 21604, "A 'To' phone number is required."
        if not sender:
            return 21603, "A 'From' phone number is required."
        if not body:
            return 21602, "Message body is required."
        if not _E164.match(to):
            return 21211, f"The 'To' number {to} is not a valid phone number."
        return self.rejected.get(to)

    def _resource(self, to: str, sender: str, body: str) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC))
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": to,
            "uri": f"{base}.json",
        }
