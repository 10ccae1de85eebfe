"""A webhook receiver as a customer would write it from the README: it checks the signature
and the timestamp before it trusts a delivery, and dedupes on ``X-Monitor-Delivery``.

Deliberately independent of ``notifiers.webhook``: it follows the documented contract.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import LocalServer

TOLERANCE_SECONDS = 300


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """The README's check: fresh timestamp, and a matching v1 HMAC-SHA256 signature."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    given = [part.split("=", 1)[1] for part in signature.split(",") if part.startswith("v1=")]
    return any(hmac.compare_digest(expected.hexdigest(), g) for g in given)


@dataclass
class WebhookReceiver:
    secret: str = ""
    path: str = "/hook"
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bad_signatures: int = 0
    requests: int = 0
    status: int = 200  # what to answer once the signature checks out
    location: str | None = None  # with a 3xx status
    check_signature: bool = True
    internal_hits: int = 0  # requests to /internal, which stands for a private service
    server: LocalServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + self.path

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        app.router.add_route("*", "/internal", self._internal)
        return app

    @asynccontextmanager
    async def running(self) -> AsyncIterator[WebhookReceiver]:
        self.server = LocalServer(self.app())
        await self.server.start()
        try:
            yield self
        finally:
            await self.server.close()

    def ids(self) -> Counter[str]:
        return Counter(d["id"] for d in self.deliveries)

    async def _internal(self, request: web.Request) -> web.Response:
        self.internal_hits += 1
        return web.Response(text="secret admin page")

    async def _receive(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        h = request.headers
        if self.check_signature and not verify(
            self.secret,
            h.get("X-Monitor-Timestamp", ""),
            body,
            h.get("X-Monitor-Signature", ""),
            time.time(),
        ):
            self.bad_signatures += 1
            return web.json_response({"error": "bad signature"}, status=401)
        if self.status >= 300:
            headers = {"Location": self.location} if self.location else {}
            return web.Response(status=self.status, headers=headers)
        payload = json.loads(body)
        self.deliveries.append(payload)
        self.headers.append(dict(h))
        return web.json_response({"ok": True})
