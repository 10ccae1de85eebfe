"""Email through any SMTP server (aiosmtplib), configured by one URL.

``SMTP_URL``: ``smtp://user:pass@host:587`` (STARTTLS when the server offers it) or
``smtps://user:pass@host:465`` (TLS from the first byte). User and password are optional.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from core.errors import ConfigurationError, DeliveryError
from core.ports import DeliveryResult
from notifiers.email import EmailNotifier, redact_addresses
from notifiers.rendering import EmailContent, Links
from notifiers.throttle import Throttle

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    hostname: str
    port: int | None
    username: str | None
    password: str | None
    use_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigurationError("SMTP_URL must look like smtp://user:pass@host:587")
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigurationError("SMTP_URL has a bad port") from exc
        return cls(
            hostname=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
        )

    def __repr__(self) -> str:  # never show the password
        return f"SmtpServer({self.hostname}:{self.port}, tls={self.use_tls})"


class SmtpNotifier(EmailNotifier):
    provider = "smtp"

    def __init__(
        self,
        server: SmtpServer,
        sender: str,
        links: Links,
        *,
        timeout_seconds: float = 20.0,
        throttle: Throttle | None = None,
    ) -> None:
        super().__init__(sender, links, throttle or Throttle(per_second=5, burst=5))
        self.server = server
        self.timeout_seconds = timeout_seconds

    def build_message(self, to: str, content: EmailContent, alert_id: int | None) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = content.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.sender_address.rpartition("@")[2])
        if content.unsubscribe_url:
            message["List-Unsubscribe"] = f"<{content.unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if alert_id is not None:
            message["X-Monitor-Alert"] = str(alert_id)
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        return message

    async def _deliver(
        self, to: str, content: EmailContent, alert_id: int | None
    ) -> DeliveryResult:
        message = self.build_message(to, content, alert_id)
        server = self.server
        try:
            await aiosmtplib.send(
                message,
                sender=self.sender_address,
                recipients=[to],
                hostname=server.hostname,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.use_tls,
                timeout=self.timeout_seconds,
            )
        except aiosmtplib.SMTPException as exc:
            raise _translate(exc) from exc
        except OSError as exc:
            raise DeliveryError(f"the mail server is unreachable ({type(exc).__name__})") from exc
        return DeliveryResult(provider_message_id=str(message["Message-ID"]))


def _translate(exc: aiosmtplib.SMTPException) -> DeliveryError:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        if codes and all(code >= 500 for code in codes):
            first = exc.recipients[0]
            return _refused(first.code, first.message)
        return DeliveryError("the mail server deferred the address; retrying")
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused) and exc.code >= 500:
        return _refused(exc.code, exc.message)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPSenderRefused):
        # Our login or sender is wrong: the operator must fix it; keep the alerts meanwhile.
        logger.error("SMTP server refused our login or sender: %s", exc.code)
        return DeliveryError("the mail server refused our login or sender; retrying")
    return DeliveryError(f"the mail server failed ({type(exc).__name__}); retrying")


def _refused(code: int, message: str) -> DeliveryError:
    reason = redact_addresses(message)[:120]
    return DeliveryError(f"the mail server refused the address ({code} {reason})", permanent=True)
