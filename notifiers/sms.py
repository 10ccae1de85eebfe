"""SMS through Twilio's Messages API with the ``twilio`` library's async client.

The library's own HTTP layer is swapped (its documented extension point, an ``HttpClient``
subclass) for one that uses our shared aiohttp session and sends ``https://api.twilio.com``
requests to TWILIO_API_URL instead: ``POST /2010-04-01/Accounts/{sid}/Messages.json``,
form-encoded ``To``/``From``/``Body``, 201 with the message JSON, errors as
``{"code": 21211, "message": …, "more_info": …, "status": 400}``.
"""

from __future__ import annotations

import logging

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from core.destinations import mask_phone
from core.enums import Channel
from core.errors import DeliveryError
from core.ports import AlertMessage, DeliveryResult
from notifiers.rendering import Links, alert_sms, code_sms
from notifiers.throttle import Throttle

logger = logging.getLogger(__name__)

TWILIO_API_ROOT = "https://api.twilio.com"
# Errors about the number itself: retrying never helps, and the user must fix the number.
# https://www.twilio.com/docs/api/errors
PERMANENT_CODES = {
    21211: "not a valid phone number",
    21214: "the number cannot be reached",
    21217: "not a valid phone number",
    21401: "not a valid phone number",
    21407: "the number can't receive text messages",
    21408: "we can't send texts to that country",
    21610: "the number replied STOP to our messages",
    21612: "the number cannot be reached",
    21614: "not a mobile number",
}


# twilio has no type information, so its base class is Any to mypy.
class RebasedTwilioHttpClient(AsyncHttpClient):  # type: ignore[misc]
    """Twilio's async HTTP contract on a shared aiohttp session, rooted at ``base_url``."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, *, timeout_seconds: float = 15.0
    ) -> None:
        # Twilio logs every request and response at INFO: keep that at DEBUG-only volume.
        quiet = logging.getLogger(f"{__name__}.http")
        quiet.setLevel(logging.WARNING)
        super().__init__(logger=quiet, is_async=True, timeout=timeout_seconds)
        self.session = session
        self.base_url = base_url.rstrip("/")

    def rebase(self, url: str) -> str:
        if url.startswith(TWILIO_API_ROOT):
            return self.base_url + url[len(TWILIO_API_ROOT) :]
        return url

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, str] | None = None,  # twilio sends query values as text
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - Twilio's HttpClient signature
        allow_redirects: bool = False,
    ) -> Response:
        url = self.rebase(uri)
        headers = dict(headers or {})
        if auth:
            # aiohttp 3.14 deprecates BasicAuth objects in favour of this header.
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
        async with self.session.request(
            method.upper(),
            url,
            params=params or None,
            data=data or None,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            allow_redirects=allow_redirects,
        ) as reply:
            return Response(reply.status, await reply.text(), reply.headers)


class TwilioNotifier:
    """Sends SMS alerts and verification codes from ``from_number``."""

    channel = Channel.SMS.value

    def __init__(
        self,
        session: aiohttp.ClientSession,
        account_sid: str,
        auth_token: str,
        from_number: str,
        links: Links,
        *,
        api_url: str = TWILIO_API_ROOT,
        throttle: Throttle | None = None,
    ) -> None:
        self.from_number = from_number
        self.links = links
        self.throttle = throttle or Throttle(per_second=10, burst=10)
        self._client = Client(
            username=account_sid,
            password=auth_token,
            account_sid=account_sid,
            http_client=RebasedTwilioHttpClient(session, api_url),
            # Not os.environ (an empty mapping would fall back to it): a stray TWILIO_REGION
            # or TWILIO_EDGE there would send requests around TWILIO_API_URL.
            environment={"TWILIO_EDGE": "", "TWILIO_REGION": ""},
        )

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        to = alert.target.address
        if not to:
            raise DeliveryError("no verified phone number for this account", permanent=True)
        sid = await self._send(to, alert_sms(alert, self.links))
        logger.info("alert %s texted to %s (%s)", alert.alert_id, mask_phone(to), sid)
        return DeliveryResult(provider_message_id=sid)

    async def send_code(self, address: str, code: str, ttl_minutes: int) -> None:
        await self._send(address, code_sms(code, ttl_minutes))

    async def _send(self, to: str, body: str) -> str:
        await self.throttle.acquire()
        try:
            message = await self._client.messages.create_async(
                to=to, from_=self.from_number, body=body
            )
        except TwilioRestException as exc:
            raise _translate(exc.status, exc.code) from exc
        except TwilioException as exc:
            # RFC 9457-style service errors carry the same status and code.
            status, code = getattr(exc, "status", 0), getattr(exc, "code", None)
            raise _translate(int(status or 0), code) from exc
        except TimeoutError as exc:
            raise DeliveryError("Twilio did not answer in time; retrying") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"Twilio is unreachable ({type(exc).__name__})") from exc
        return str(message.sid or "")


def _translate(status: int, code: int | None) -> DeliveryError:
    if code in PERMANENT_CODES:
        return DeliveryError(f"Twilio: {PERMANENT_CODES[code]} (error {code})", permanent=True)
    if status == 429 or status >= 500 or code == 20429:
        return DeliveryError(f"Twilio is busy or down (HTTP {status}); retrying")
    # Credentials (20003), our sender number and other request errors are ours to fix: the
    # alerts wait and retry while the operator does, instead of switching users' SMS off.
    logger.error("Twilio rejected a send (HTTP %s, error %s)", status, code)
    return DeliveryError(f"Twilio rejected the request (HTTP {status}, error {code}); retrying")
