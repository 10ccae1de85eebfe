"""Stripe through the official ``stripe`` library: core's PaymentGateway port (core/ports.py).

One ``StripeClient`` with its aiohttp HTTP client (every call is an ``_async`` method),
``base_addresses`` from STRIPE_API_URL, a timeout and Stripe's own network retries. Every
create sends an idempotency key derived from what it creates, so a retry (ours or the SDK's)
never makes a second customer or session. Fields are read where the API version the SDK
pins (``stripe.api_version``) puts them: a subscription's period end on its items.

Stripe's errors become core's ``PaymentError`` here, at the boundary.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import stripe

from core.billing import BillingEvent, from_unix
from core.errors import PaymentError
from core.ports import Checkout, Subscription

logger = logging.getLogger(__name__)

API_VERSION = stripe.api_version
TIMEOUT_SECONDS = 20.0
PORTAL_APP = "marketplace-monitor"  # the metadata "app" of stripe-setup's portal configuration
NETWORK_RETRIES = 2
T = TypeVar("T")


class SignatureError(Exception):
    """The webhook's Stripe-Signature is missing, wrong or too old."""


@asynccontextmanager
async def stripe_client(
    secret_key: str, api_url: str, *, timeout_seconds: float = TIMEOUT_SECONDS
) -> AsyncIterator[stripe.StripeClient]:
    """A StripeClient on aiohttp for the block's duration (its HTTP session closed after)."""
    base = api_url.rstrip("/")
    http = stripe.AIOHTTPClient(timeout=timeout_seconds)
    client = stripe.StripeClient(
        secret_key,
        base_addresses={"api": base, "connect": base, "files": base},
        http_client=http,
        max_network_retries=NETWORK_RETRIES,
    )
    try:
        yield client
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]


def _key(*parts: object) -> str:
    """A stable idempotency key: the same request asked again gets the same key."""
    return "mm-" + hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:40]


async def _call(what: str, call: Awaitable[T]) -> T:
    """Await a Stripe call, turning Stripe's errors into core's PaymentError."""
    try:
        return await call
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise PaymentError(
            f"Stripe unreachable ({what}): {exc.user_message or exc}", temporary=True
        ) from exc
    except stripe.APIError as exc:
        raise PaymentError(
            f"Stripe failed ({what}): {exc.user_message or exc}", temporary=True
        ) from exc
    except stripe.StripeError as exc:
        temporary = (exc.http_status or 0) >= 500
        raise PaymentError(
            f"Stripe refused {what}: {exc.user_message or exc}", temporary=temporary
        ) from exc


def subscription_of(obj: Mapping[str, Any]) -> Subscription:
    """A subscription object (2025-03-31 and later: the period lives on its items)."""
    items = (obj.get("items") or {}).get("data") or [{}]
    item = items[0]
    price = item.get("price") or {}
    metadata = obj.get("metadata") or {}
    return Subscription(
        id=str(obj["id"]),
        customer=_id_of(obj.get("customer")),
        status=str(obj.get("status") or ""),
        price_id=_id_of(price),
        created=int(obj.get("created") or 0),
        period_end=from_unix(item.get("current_period_end")),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        account_ref=str(metadata.get("account_id") or ""),
        price_tier=str((price.get("metadata") or {}).get("tier") or "")
        if isinstance(price, Mapping)
        else "",
    )


def _id_of(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def _checkout_of(obj: Mapping[str, Any]) -> Checkout:
    return Checkout(
        id=str(obj["id"]),
        url=str(obj.get("url") or ""),
        status=str(obj.get("status") or ""),
        payment_status=str(obj.get("payment_status") or ""),
        customer=_id_of(obj.get("customer")),
        client_reference_id=str(obj.get("client_reference_id") or ""),
        subscription=_id_of(obj.get("subscription")),
    )


def verify_event(
    payload: bytes, signature: str | None, secret: str, tolerance: int = 300
) -> BillingEvent:
    """Check Stripe's v1 signature (5-minute tolerance) over the raw body, then read it."""
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature or "", secret, tolerance
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise SignatureError(str(exc)) from exc
    try:
        data = json.loads(payload)
        return event_of(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise SignatureError(f"signed but not an event: {exc}") from exc


def event_of(data: Mapping[str, Any]) -> BillingEvent:
    """The parts of an event the rules need, from where the pinned API version puts them."""
    kind = str(data["type"])
    obj = data["data"]["object"]
    subscription = ""
    invoice = ""
    account_ref = ""
    if kind.startswith("customer.subscription."):
        subscription = str(obj["id"])
        account_ref = str((obj.get("metadata") or {}).get("account_id") or "")
    elif kind.startswith("checkout.session."):
        subscription = _id_of(obj.get("subscription"))
        account_ref = str(obj.get("client_reference_id") or "")
    elif kind.startswith("invoice."):
        invoice = str(obj["id"])
        details = ((obj.get("parent") or {}).get("subscription_details")) or {}
        # Since 2025-03-31 here; before, on the invoice itself (an endpoint on an old version).
        subscription = _id_of(details.get("subscription") or obj.get("subscription"))
    return BillingEvent(
        id=str(data["id"]),
        type=kind,
        customer=_id_of(obj.get("customer")),
        subscription=subscription,
        invoice=invoice,
        account_ref=account_ref,
    )


class StripeGateway:
    """core.ports.PaymentGateway on stripe-python's StripeClient (async)."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self._portal_config: str | None = None

    async def create_customer(self, account_id: int) -> str:
        customer = await _call(
            "creating a customer",
            self.client.v1.customers.create_async(
                params={"metadata": {"account_id": str(account_id)}},
                options={"idempotency_key": _key("customer", account_id)},
            ),
        )
        return str(customer.id)

    async def create_checkout(
        self, *, customer: str, price: str, account_id: int, success_url: str, cancel_url: str
    ) -> Checkout:
        # One key per (customer, price, open sessions so far): a double press makes one
        # session, a later /upgrade a new one (the old is expired first).
        existing = len(await self._sessions(customer, status=None))
        session = await _call(
            "opening a checkout",
            self.client.v1.checkout.sessions.create_async(
                params={
                    "mode": "subscription",
                    "customer": customer,
                    "line_items": [{"price": price, "quantity": 1}],
                    "client_reference_id": str(account_id),
                    # Session metadata is not copied onto the subscription: this is.
                    "subscription_data": {"metadata": {"account_id": str(account_id)}},
                    "metadata": {"account_id": str(account_id)},
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                    "allow_promotion_codes": True,
                },
                options={"idempotency_key": _key("checkout", customer, price, existing)},
            ),
        )
        return _checkout_of(session.to_dict())

    async def _sessions(self, customer: str, status: str | None) -> list[str]:
        params: dict[str, Any] = {"customer": customer, "limit": 100}
        if status:
            params["status"] = status
        found = await _call(
            "listing checkouts",
            self.client.v1.checkout.sessions.list_async(params=params),  # type: ignore[arg-type]
        )
        return [str(s.id) for s in found.data]

    async def open_checkouts(self, customer: str) -> list[str]:
        return await self._sessions(customer, "open")

    async def expire_checkout(self, session_id: str) -> None:
        await _call(
            "expiring a checkout", self.client.v1.checkout.sessions.expire_async(session_id)
        )

    async def checkout(self, session_id: str) -> Checkout | None:
        try:
            found = await _call(
                "reading a checkout",
                self.client.v1.checkout.sessions.retrieve_async(session_id),
            )
        except PaymentError as exc:
            if exc.temporary:
                raise
            return None
        return _checkout_of(found.to_dict())

    async def _portal_configuration(self) -> str:
        """stripe-setup's portal configuration (an API-made one is not the account's
        default, so sessions must name it); "" falls back to the dashboard's default."""
        if self._portal_config is None:
            found = await _call(
                "listing portal configurations",
                self.client.v1.billing_portal.configurations.list_async(
                    params={"active": True, "limit": 100}
                ),
            )
            self._portal_config = next(
                (
                    str(c.id)
                    for c in found.data
                    if (c.to_dict().get("metadata") or {}).get("app") == PORTAL_APP
                ),
                "",
            )
        return self._portal_config

    async def portal_url(self, customer: str, return_url: str) -> str:
        params: dict[str, Any] = {"customer": customer, "return_url": return_url}
        configuration = await self._portal_configuration()
        if configuration:
            params["configuration"] = configuration
        session = await _call(
            "opening the billing portal",
            self.client.v1.billing_portal.sessions.create_async(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": _key("portal", customer, return_url, _minute())},
            ),
        )
        return str(session.url)

    async def subscription(self, subscription_id: str) -> Subscription | None:
        try:
            found = await _call(
                "reading a subscription",
                self.client.v1.subscriptions.retrieve_async(subscription_id),
            )
        except PaymentError as exc:
            if exc.temporary:
                raise
            logger.warning("subscription %s not readable: %s", subscription_id, exc)
            return None
        return subscription_of(found.to_dict())

    async def subscriptions(self, customer: str) -> list[Subscription]:
        found = await _call(
            "listing subscriptions",
            self.client.v1.subscriptions.list_async(
                params={"customer": customer, "status": "all", "limit": 100}
            ),
        )
        return [subscription_of(s.to_dict()) for s in found.data]

    async def cancel(self, subscription_id: str) -> None:
        await _call(
            "cancelling a subscription",
            self.client.v1.subscriptions.cancel_async(subscription_id),
        )


def _minute() -> int:
    import time

    return int(time.time() // 60)
