"""Webhook alerts: a signed JSON POST to the account's verified URL (schema in README).

Body: JSON, schema ``marketplace-monitor.alert`` version 1. Headers::

    Content-Type: application/json
    User-Agent: MarketplaceMonitor-Webhook/1
    X-Monitor-Event: alert.new_listing | alert.price_drop | webhook.test
    X-Monitor-Delivery: alert-<id> (the same on every retry: dedupe on it) | test-<random>
    X-Monitor-Timestamp: <unix seconds>
    X-Monitor-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

2xx is delivered. 3xx is refused (redirects are not followed), 408/425/429 and 5xx are
retried, any other 4xx is permanent. Every request goes through the SSRF guard.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from core.clock import Clock, utcnow
from core.delivery import EXTRA_WEBHOOK_SECRET
from core.enums import AlertKind, Channel
from core.errors import DeliveryError
from core.formatting import verdict_text
from core.ports import AlertMessage, DeliveryResult
from notifiers.ssrf import ForbiddenTarget, GuardedResolver, check_url
from notifiers.throttle import Throttle

logger = logging.getLogger(__name__)

SCHEMA = "marketplace-monitor.alert"
SCHEMA_VERSION = 1
USER_AGENT = "MarketplaceMonitor-Webhook/1"
SIGNATURE_VERSION = "v1"
HEADER_EVENT = "X-Monitor-Event"
HEADER_DELIVERY = "X-Monitor-Delivery"
HEADER_TIMESTAMP = "X-Monitor-Timestamp"
HEADER_SIGNATURE = "X-Monitor-Signature"
TEST_EVENT = "webhook.test"
_RETRYABLE_4XX = {408, 425, 429}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``: HMAC-SHA256 with the account's secret over ``"<timestamp>." + body``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def event_of(alert: AlertMessage) -> str:
    if alert.kind is AlertKind.REPOST:  # resellers (issue 14)
        return "alert.repost"
    return "alert.price_drop" if alert.kind is AlertKind.PRICE_DROP else "alert.new_listing"


def alert_payload(alert: AlertMessage, now: datetime) -> dict[str, Any]:
    listing = alert.listing
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "id": f"alert-{alert.alert_id}",
        "type": event_of(alert),
        "created_at": _iso(now),
        "search": {"id": alert.search_id, "name": alert.search_name},
        "match_id": alert.match_id,
        "listing": {
            "marketplace": listing.marketplace,
            "external_id": listing.external_id,
            "url": listing.url,
            "title": listing.title,
            "description": listing.description,
            "price": _money(listing.price),
            "old_price": _money(alert.old_price) if alert.kind is AlertKind.PRICE_DROP else None,
            "currency": listing.currency,
            "location": listing.location,
            "image_url": listing.image_url,
            "seller": listing.seller,
            "condition": listing.condition.value,
            "category": listing.category,
            "posted_at": _iso(listing.posted_at),
            # resellers (issue 14): null where the marketplace does not give them
            "postage": _money(listing.postage),
            "total": _money(listing.total),
            "collection_only": listing.collection_only,
            "buying_format": listing.buying_format.value,
            "current_bid": _money(listing.current_bid),
            "bid_count": listing.bid_count,
            "ends_at": _iso(listing.ends_at),
        },
        # is it a deal? (issue 16): null when the usual price rests on too little
        "verdict": _verdict(alert),
    }


def _verdict(alert: AlertMessage) -> dict[str, Any] | None:
    verdict = alert.verdict
    if verdict is None:
        return None
    return {
        "kind": verdict.kind.value,
        "percent": verdict.percent,
        "price": _money(verdict.price),
        "usual_price": _money(verdict.usual),
        "usual_low": _money(verdict.low),
        "usual_high": _money(verdict.high),
        "currency": verdict.currency,
        "listings": verdict.listings,
        "days": verdict.days,
        "text": verdict_text(verdict),
    }


def test_payload(delivery_id: str, now: datetime) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "id": delivery_id,
        "type": TEST_EVENT,
        "created_at": _iso(now),
        "message": "Marketplace Monitor is checking this webhook. Answer with any 2xx status.",
    }


class WebhookNotifier:
    """Delivers webhook alerts and test deliveries (verification) through the SSRF guard.

    Each delivery uses its own short-lived connection pool whose resolver is the guard, so a
    host is resolved, checked and dialled once per delivery (no stale or second lookup).
    """

    channel = Channel.WEBHOOK.value

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: aiohttp.ClientTimeout | None = None,
        throttle: Throttle | None = None,
        clock: Clock = utcnow,
        resolver: Callable[[], AbstractResolver] | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout or aiohttp.ClientTimeout(total=10, connect=5)
        self.throttle = throttle or Throttle(per_second=20, burst=20)
        self.clock = clock
        self._resolver = resolver  # tests inject a fake DNS here

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        url = alert.target.address
        secret = alert.extra.get(EXTRA_WEBHOOK_SECRET)
        if not url or not secret:
            raise DeliveryError("no verified webhook URL for this account", permanent=True)
        delivery_id = f"alert-{alert.alert_id}"
        await self.throttle.acquire()
        payload = alert_payload(alert, self.clock())
        await self._post(url, secret, event_of(alert), delivery_id, payload)
        return DeliveryResult(provider_message_id=delivery_id)

    async def probe(self, url: str, secret: str) -> None:
        """The verification test delivery; raises DeliveryError unless answered with 2xx."""
        delivery_id = f"test-{secrets.token_hex(8)}"
        payload = test_payload(delivery_id, self.clock())
        await self._post(url, secret, TEST_EVENT, delivery_id, payload)

    async def _post(
        self, url: str, secret: str, event: str, delivery_id: str, payload: dict[str, Any]
    ) -> None:
        try:
            target = check_url(url, allow_private=self.allow_private)
        except ForbiddenTarget as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            HEADER_EVENT: event,
            HEADER_DELIVERY: delivery_id,
            HEADER_TIMESTAMP: str(timestamp),
            HEADER_SIGNATURE: sign(secret, timestamp, body),
        }
        status, location = await self._request(target, body, headers)
        _check_status(status, location)
        logger.info("webhook %s delivered (%s)", delivery_id, status)

    async def _request(self, target: URL, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        connector = aiohttp.TCPConnector(
            resolver=self._guard(), use_dns_cache=False, limit=1, force_close=True
        )
        try:
            async with (
                aiohttp.ClientSession(connector=connector, timeout=self.timeout) as session,
                session.post(target, data=body, headers=headers, allow_redirects=False) as reply,
            ):
                return reply.status, reply.headers.get("Location", "")
        except ForbiddenTarget as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        except TimeoutError as exc:
            raise DeliveryError(f"no answer within {self.timeout.total:.0f} s") from exc
        except aiohttp.InvalidURL as exc:
            raise DeliveryError("that is not a valid URL", permanent=True) from exc
        except aiohttp.ClientConnectorDNSError as exc:
            raise DeliveryError(f"the host name {target.host} could not be resolved") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"could not connect ({type(exc).__name__})") from exc

    def _guard(self) -> GuardedResolver:
        if self._resolver is None:
            return GuardedResolver(allow_private=self.allow_private)
        return GuardedResolver(allow_private=self.allow_private, inner=self._resolver)


def _check_status(status: int, location: str) -> None:
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        where = f" to {location[:200]}" if location else ""
        raise DeliveryError(
            f"the webhook answered with a redirect (HTTP {status}{where}); redirects are not "
            "followed, so use the final URL",
            permanent=True,
        )
    if 400 <= status < 500 and status not in _RETRYABLE_4XX:
        raise DeliveryError(f"the webhook answered HTTP {status}", permanent=True)
    raise DeliveryError(f"the webhook answered HTTP {status}; retrying")
