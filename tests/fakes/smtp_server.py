"""A real local SMTP server (aiosmtpd) that keeps what it receives and can refuse addresses
or go away (connections refused) and come back on the same port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USERNAME = "alerts"
PASSWORD = "s3cret-pässword"


@dataclass
class FakeSmtpServer:
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # answered 550 at RCPT
    port: int = 0
    _server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"smtp://{USERNAME}:s3cret-p%C3%A4ssword@127.0.0.1:{self.port}"

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTP, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Ok: queued"

    def _authenticate(
        self, server: SMTP, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USERNAME.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(USERNAME)
        return AuthResult(success=ok)

    def _protocol(self) -> SMTP:
        return SMTP(
            self,
            hostname="localhost",
            authenticator=self._authenticate,
            auth_require_tls=False,  # a local test server: no TLS certificate to offer
            loop=asyncio.get_running_loop(),
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def go_away(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def come_back(self) -> None:
        await self.start()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeSmtpServer]:
        await self.start()
        try:
            yield self
        finally:
            await self.go_away()
