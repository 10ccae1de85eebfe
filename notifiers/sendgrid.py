"""Email through SendGrid's v3 Mail Send API (the ``sendgrid`` library), at SENDGRID_API_URL.

The library is synchronous (urllib), so each call runs in a worker thread. SendGrid answers
202 Accepted with an ``X-Message-Id`` header; errors carry ``{"errors": [{"message", "field",
"help"}]}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    ClickTracking,
    CustomArg,
    From,
    Header,
    Mail,
    To,
    TrackingSettings,
)

from core.errors import DeliveryError
from core.ports import DeliveryResult
from notifiers.email import EmailNotifier, redact_addresses
from notifiers.rendering import EmailContent, Links
from notifiers.throttle import Throttle

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.sendgrid.com"


class SendgridNotifier(EmailNotifier):
    provider = "sendgrid"

    def __init__(
        self,
        api_key: str,
        sender: str,
        links: Links,
        *,
        api_url: str = DEFAULT_API_URL,
        timeout_seconds: float = 20.0,
        throttle: Throttle | None = None,
    ) -> None:
        super().__init__(sender, links, throttle or Throttle(per_second=10, burst=10))
        self._client = SendGridAPIClient(api_key=api_key, host=api_url.rstrip("/"))
        # The library has no timeout argument; its HTTP client has the attribute.
        self._client.client.timeout = timeout_seconds
        # python_http_client logs request headers, our API key included, at DEBUG.
        logging.getLogger("python_http_client").setLevel(logging.INFO)

    def build_mail(self, to: str, content: EmailContent, alert_id: int | None) -> Mail:
        mail = Mail(
            from_email=From(self.sender),
            to_emails=To(to),
            subject=content.subject,
            plain_text_content=content.text,
            html_content=content.html,
        )
        if content.unsubscribe_url:
            mail.header = Header("List-Unsubscribe", f"<{content.unsubscribe_url}>")
            mail.header = Header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        if alert_id is not None:
            mail.custom_arg = CustomArg("alert_id", str(alert_id))
        # Our links are already tracked (/r/<token>); SendGrid's rewriting would hide them.
        mail.tracking_settings = TrackingSettings(click_tracking=ClickTracking(False, False))
        return mail

    async def _deliver(
        self, to: str, content: EmailContent, alert_id: int | None
    ) -> DeliveryResult:
        mail = self.build_mail(to, content, alert_id)
        try:
            response = await asyncio.to_thread(self._client.send, mail)
        except HTTPError as exc:
            raise _translate(exc) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"SendGrid is unreachable ({reason})") from exc
        return DeliveryResult(provider_message_id=response.headers.get("X-Message-Id", "") or "")


def _first_error(body: bytes | str | None) -> tuple[str, str]:
    """(message, field) of the first error SendGrid reported."""
    try:
        errors = json.loads(body or b"{}").get("errors") or [{}]
        first = errors[0] if isinstance(errors[0], dict) else {}
        message = redact_addresses(str(first.get("message") or ""))[:200]
        return message, str(first.get("field") or "")
    except (ValueError, AttributeError, TypeError):
        return "", ""


def _translate(exc: HTTPError) -> DeliveryError:
    status = int(exc.status_code)
    message, field = _first_error(exc.body)
    if status == 429 or status >= 500:
        return DeliveryError(f"SendGrid is busy or down (HTTP {status}); retrying")
    if status == 400 and field.startswith("personalizations") and ".to" in field:
        # The recipient is what SendGrid refuses: that won't change on a retry.
        return DeliveryError(f"SendGrid refused the address ({message})", permanent=True)
    # 401/403 (key, sender identity) and other 4xx are ours to fix: keep the alerts and retry
    # while the operator does, rather than switching users' email off.
    logger.error("SendGrid rejected a send (HTTP %s, %s): %s", status, field or "-", message)
    return DeliveryError(f"SendGrid rejected the request (HTTP {status}); retrying")
