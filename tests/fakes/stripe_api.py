"""A local Stripe API in its wire format, for the real ``stripe`` library (StripeClient).

Requests are form-encoded with Stripe's bracket syntax (``items[0][price]=...``), answered
with JSON objects shaped as Stripe's API reference at the version the SDK pins
(``stripe.api_version``): since 2025-03-31 a subscription's period is on its items
(``items.data[].current_period_end``) and an invoice names its subscription under
``parent.subscription_details.subscription``. Errors are ``{"error": {type, code, message,
param}}``; ``Idempotency-Key`` is honoured (same key + same parameters = the first answer,
other parameters = 400 ``idempotency_error``).

Objects: customers, products, prices (``lookup_keys[]`` list filter), billing portal
configurations and sessions, checkout sessions (with a hosted pay page at ``/pay/<id>``: a
form with a card number; 4000000000000002 is declined), subscriptions (retrieve, list,
update, cancel), invoices, events and webhook endpoints.

Webhooks: each event is signed with Stripe's v1 scheme (``Stripe-Signature:
t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``) and POSTed to ``webhook_url``. By default the
events an action produced are delivered together in random order after a short delay;
``hold()`` keeps them queued for a test to ``deliver()`` in its chosen order, ``replay``
an event, ``deliver(..., stale=True)`` signs with a timestamp 10 minutes old and
``corrupt=True`` with a wrong secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import random
import re
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import stripe
from aiohttp import web

from tests.fakes.local_server import LocalServer

SECRET_KEY = "sk_test_fake_0123456789abcdefghijklmnop"
WEBHOOK_SECRET = "whsec_fake0123456789abcdefghijklmnop"
API_VERSION = stripe.api_version
DECLINED_CARD = "4000000000000002"
MONTH = 30 * 86400
PARAMS = web.RequestKey("params", dict)


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's bracket form encoding into nested dicts/lists (``a[0][b]=1``)."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt: Any = "" if last else ([] if parts[i + 1] in ("[]",) else {})
            if isinstance(node, list):
                if part == "[]":
                    node.append(value if last else nxt)
                    node = node[-1]
                    continue
                index = int(part)
                while len(node) <= index:
                    node.append({})
                if last:
                    node[index] = value
                node = node[index]
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, nxt)
    return _lists(root)


def _lists(node: Any) -> Any:
    """Dicts keyed 0..n (``items[0][price]``) become lists, as Stripe reads them."""
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
        return node
    if isinstance(node, list):
        return [_lists(v) for v in node]
    return node


def error(
    status: int, message: str, *, kind: str = "invalid_request_error", **more: str
) -> web.Response:
    body = {"error": {"type": kind, "message": message, **more}}
    return web.json_response(body, status=status, headers={"Request-Id": _id("req")})


def sign(body: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(slots=True)
class Delivery:
    event_id: str
    type: str
    status: int  # 0: could not connect
    stale: bool = False
    corrupt: bool = False


@dataclass
class FakeStripe:
    webhook_url: str = ""
    webhook_secret: str = WEBHOOK_SECRET
    delay_seconds: float = 0.05
    seed: int | None = None
    url: str = ""
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    _idempotent: dict[str, tuple[str, int, Any]] = field(default_factory=dict)
    _held: bool = False
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _http: aiohttp.ClientSession | None = None

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    # objects --------------------------------------------------------------------------
    def of(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o["object"] == kind]

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def _event(
        self, kind: str, obj: dict[str, Any], previous: dict[str, Any] | None = None
    ) -> None:
        data: dict[str, Any] = {"object": json.loads(json.dumps(obj))}
        if previous is not None:
            data["previous_attributes"] = previous
        event = {
            "id": _id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1 if self.webhook_url else 0,
            "request": {"id": None, "idempotency_key": None},
            "type": kind,
        }
        self.events.append(event)
        self.queued.append(event["id"])

    def event(self, event_id: str) -> dict[str, Any]:
        return next(e for e in self.events if e["id"] == event_id)

    # webhooks -------------------------------------------------------------------------
    def hold(self) -> None:
        """Keep new events queued until the test delivers them itself."""
        self._held = True

    def release(self) -> None:
        self._held = False
        self._flush()

    def _flush(self) -> None:
        if self._held or not self.webhook_url or not self.queued:
            return
        batch, self.queued = self.queued, []
        self.random.shuffle(batch)  # Stripe does not guarantee order
        task = asyncio.get_running_loop().create_task(self._deliver_later(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_later(self, batch: list[str]) -> None:
        await asyncio.sleep(self.delay_seconds)
        for event_id in batch:
            for attempt in range(4):  # Stripe retries failed deliveries (for days; here fast)
                status = await self.deliver(event_id)
                if 200 <= status < 300:
                    break
                await asyncio.sleep(0.3 * (attempt + 1))

    async def deliver(
        self, event_id: str, *, stale: bool = False, corrupt: bool = False, body_extra: bytes = b""
    ) -> int:
        """POST one event to ``webhook_url``; returns the HTTP status (0: no connection)."""
        event = self.event(event_id)
        if event_id in self.queued:
            self.queued.remove(event_id)
        body = json.dumps(event, indent=2).encode() + body_extra
        timestamp = int(time.time()) - (600 if stale else 0)
        secret = "whsec_wrong" if corrupt else self.webhook_secret
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": sign(json.dumps(event, indent=2).encode(), secret, timestamp),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        if self._http is None:
            self._http = aiohttp.ClientSession()
        try:
            async with self._http.post(self.webhook_url, data=body, headers=headers) as resp:
                status = resp.status
        except aiohttp.ClientError:
            status = 0
        self.deliveries.append(Delivery(event_id, event["type"], status, stale, corrupt))
        return status

    async def replay(self, event_id: str) -> int:
        return await self.deliver(event_id)

    async def settle(self) -> None:
        """Wait for the deliveries in flight."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # test controls: what happens on Stripe's side ------------------------------------
    def pay(self, session_id: str, card: str = "4242424242424242") -> dict[str, Any] | None:
        """The customer pays on the hosted page: the subscription starts (None: declined)."""
        session = self.objects[session_id]
        if session["status"] != "open" or card.replace(" ", "") == DECLINED_CARD:
            return None
        price = self.objects[session["_price"]]
        now = int(time.time())
        sub_id = _id("sub")
        metadata = dict(session["_subscription_metadata"])
        item = {
            "id": _id("si"),
            "object": "subscription_item",
            "created": now,
            "current_period_start": now,
            "current_period_end": now + MONTH,
            "metadata": {},
            "price": price,
            "quantity": 1,
            "subscription": sub_id,
        }
        sub = self._store(
            {
                "id": sub_id,
                "object": "subscription",
                "billing_cycle_anchor": now,
                "cancel_at": None,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "collection_method": "charge_automatically",
                "created": now,
                "currency": "gbp",
                "customer": session["customer"],
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": [item],
                    "has_more": False,
                    "total_count": 1,
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": metadata,
                "pause_collection": None,
                "start_date": now,
                "status": "incomplete",
                "trial_end": None,
                "trial_start": None,
            }
        )
        self._event("customer.subscription.created", sub)
        invoice = self._invoice(sub, "paid")
        self._set_sub(sub, status="active", latest_invoice=invoice["id"])
        self._event("invoice.paid", invoice)
        session.update(status="complete", payment_status="paid", subscription=sub_id, url=None)
        self._event("checkout.session.completed", self._public(session))
        self._flush()
        return sub

    def _invoice(self, sub: dict[str, Any], status: str) -> dict[str, Any]:
        price = sub["items"]["data"][0]["price"]
        amount = price["unit_amount"]
        return self._store(
            {
                "id": _id("in"),
                "object": "invoice",
                "amount_due": amount,
                "amount_paid": amount if status == "paid" else 0,
                "amount_remaining": 0 if status == "paid" else amount,
                "attempt_count": 1,
                "billing_reason": "subscription_create",
                "created": int(time.time()),
                "currency": "gbp",
                "customer": sub["customer"],
                "hosted_invoice_url": f"{self.url}/invoice/x",
                "livemode": False,
                "parent": {
                    "type": "subscription_details",
                    "quote_details": None,
                    "subscription_details": {
                        "metadata": sub["metadata"],
                        "subscription": sub["id"],
                    },
                },
                "status": status,
            }
        )

    def _set_sub(self, sub: dict[str, Any], **changes: Any) -> None:
        previous = {k: sub[k] for k in changes if sub.get(k) != changes[k]}
        sub.update(changes)
        if previous:
            self._event("customer.subscription.updated", sub, previous)

    def cancel_at_period_end(self, sub_id: str) -> None:
        """The customer cancels in the portal: the subscription runs to its period's end."""
        sub = self.objects[sub_id]
        end = sub["items"]["data"][0]["current_period_end"]
        self._set_sub(sub, cancel_at_period_end=True, cancel_at=end)
        self._flush()

    def end_period(self, sub_id: str) -> None:
        """Time passes to the period's end: a cancelling subscription ends; else it renews."""
        sub = self.objects[sub_id]
        if sub["cancel_at_period_end"]:
            self._cancel(sub)
        else:
            item = sub["items"]["data"][0]
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] += MONTH
            invoice = self._invoice(sub, "paid")
            self._set_sub(sub, latest_invoice=invoice["id"])
            self._event("invoice.paid", invoice)
        self._flush()

    def fail_payment(self, sub_id: str) -> dict[str, Any]:
        """A renewal charge fails: past_due while Stripe retries."""
        sub = self.objects[sub_id]
        invoice = self._invoice(sub, "open")
        self._set_sub(sub, status="past_due", latest_invoice=invoice["id"])
        self._event("invoice.payment_failed", invoice)
        self._flush()
        return invoice

    def give_up(self, sub_id: str) -> None:
        """Stripe's retries are spent: the subscription is cancelled."""
        self._cancel(self.objects[sub_id])
        self._flush()

    def change_price(self, sub_id: str, price_id: str) -> None:
        sub = self.objects[sub_id]
        sub["items"]["data"][0]["price"] = self.objects[price_id]
        self._event("customer.subscription.updated", sub, {"items": {}})
        self._flush()

    def dispute(self, customer: str) -> None:
        dispute = {
            "id": _id("dp"),
            "object": "dispute",
            "amount": 2499,
            "currency": "gbp",
            "charge": _id("ch"),
            "reason": "fraudulent",
            "status": "needs_response",
            "created": int(time.time()),
        }
        self._event("charge.dispute.created", dispute)
        self._flush()

    def _cancel(self, sub: dict[str, Any]) -> None:
        now = int(time.time())
        self._set_sub(sub, status="canceled", canceled_at=now, ended_at=now)
        self._event("customer.subscription.deleted", sub)

    # HTTP -----------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_post("/v1/customers", self._create_customer)
        r.add_get("/v1/customers/{id}", self._get)
        r.add_post("/v1/products", self._create_product)
        r.add_get("/v1/products/{id}", self._get)
        r.add_post("/v1/prices", self._create_price)
        r.add_get("/v1/prices", self._list_prices)
        r.add_get("/v1/prices/{id}", self._get)
        r.add_post("/v1/billing_portal/configurations", self._create_portal_config)
        r.add_get(
            "/v1/billing_portal/configurations", self._list_simple("billing_portal.configuration")
        )
        r.add_post("/v1/billing_portal/sessions", self._create_portal_session)
        r.add_post("/v1/checkout/sessions", self._create_checkout)
        r.add_get("/v1/checkout/sessions", self._list_checkout)
        r.add_get("/v1/checkout/sessions/{id}", self._get_checkout)
        r.add_post("/v1/checkout/sessions/{id}/expire", self._expire_checkout)
        r.add_get("/v1/subscriptions", self._list_subscriptions)
        r.add_get("/v1/subscriptions/{id}", self._get)
        r.add_post("/v1/subscriptions/{id}", self._update_subscription)
        r.add_delete("/v1/subscriptions/{id}", self._delete_subscription)
        r.add_get("/v1/invoices/{id}", self._get)
        r.add_get("/v1/events/{id}", self._get_event)
        r.add_get("/v1/events", self._list_events)
        r.add_post("/v1/webhook_endpoints", self._create_endpoint)
        r.add_get("/v1/webhook_endpoints", self._list_simple("webhook_endpoint"))
        r.add_get("/pay/{id}", self._pay_page)
        r.add_post("/pay/{id}", self._pay_submit)
        r.add_get("/portal/{id}", self._portal_page)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/v1/"):
            return await handler(request)  # the hosted pages: the customer's browser
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {SECRET_KEY}":
            return error(401, "Invalid API Key provided.", code="api_key_invalid")
        text = await request.text() if request.method == "POST" else request.query_string
        params = parse_form(text)
        request[PARAMS] = params
        self.requests.append((request.method, request.path, params))
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key:
            seen = self._idempotent.get(key)
            if seen is not None:
                if seen[0] != request.path + text:
                    return error(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        kind="idempotency_error",
                    )
                return web.json_response(
                    seen[2], status=seen[1], headers={"Idempotent-Replayed": "true"}
                )
        response = await handler(request)
        if request.method == "POST" and key and isinstance(response, web.Response):
            body = json.loads(response.text or "null")
            self._idempotent[key] = (request.path + text, response.status, body)
        return response

    def _obj(self, request: web.Request, kind: str) -> dict[str, Any] | web.Response:
        found = self.objects.get(request.match_info["id"])
        if found is None or not found["object"].endswith(kind):
            return error(
                404,
                f"No such {kind}: '{request.match_info['id']}'",
                code="resource_missing",
                param="id",
            )
        return found

    async def _get(self, request: web.Request) -> web.Response:
        kind = request.path.split("/")[2].rstrip("s").replace("price", "price")
        found = self.objects.get(request.match_info["id"])
        if found is None:
            return error(
                404,
                f"No such {kind}: '{request.match_info['id']}'",
                code="resource_missing",
                param="id",
            )
        return web.json_response(self._public(found))

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _list(self, rows: list[dict[str, Any]], url: str, limit: int = 10) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [self._public(r) for r in rows[:limit]],
                "has_more": len(rows) > limit,
                "url": url,
            }
        )

    def _list_simple(self, kind: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return self._list(list(reversed(self.of(kind))), request.path, 100)

        return handler

    async def _create_customer(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        customer = self._store(
            {
                "id": _id("cus"),
                "object": "customer",
                "created": int(time.time()),
                "email": p.get("email"),
                "name": p.get("name"),
                "description": p.get("description"),
                "livemode": False,
                "metadata": p.get("metadata", {}),
                "delinquent": False,
            }
        )
        return web.json_response(customer)

    async def _create_product(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        if not p.get("name"):
            return error(
                400, "Missing required param: name.", code="parameter_missing", param="name"
            )
        product = self._store(
            {
                "id": p.get("id") or _id("prod"),
                "object": "product",
                "active": True,
                "created": int(time.time()),
                "description": p.get("description"),
                "livemode": False,
                "metadata": p.get("metadata", {}),
                "name": p["name"],
            }
        )
        return web.json_response(product)

    async def _create_price(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        if p.get("product") not in self.objects:
            return error(
                400,
                f"No such product: '{p.get('product')}'",
                code="resource_missing",
                param="product",
            )
        lookup = p.get("lookup_key")
        if lookup and any(x["lookup_key"] == lookup for x in self.of("price")):
            if p.get("transfer_lookup_key") != "true":
                return error(
                    400,
                    f"A price (`{lookup}`) already uses that lookup key.",
                    code="resource_already_exists",
                    param="lookup_key",
                )
            for other in self.of("price"):
                if other["lookup_key"] == lookup:
                    other["lookup_key"] = None
        recurring = p.get("recurring")
        price = self._store(
            {
                "id": _id("price"),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": int(time.time()),
                "currency": p.get("currency", "").lower(),
                "livemode": False,
                "lookup_key": lookup,
                "metadata": p.get("metadata", {}),
                "nickname": p.get("nickname"),
                "product": p["product"],
                "recurring": None
                if recurring is None
                else {
                    "interval": recurring.get("interval"),
                    "interval_count": int(recurring.get("interval_count", 1)),
                    "meter": None,
                    "usage_type": "licensed",
                },
                "tax_behavior": "unspecified",
                "type": "recurring" if recurring else "one_time",
                "unit_amount": int(p.get("unit_amount", 0)),
                "unit_amount_decimal": str(p.get("unit_amount", 0)),
            }
        )
        return web.json_response(price)

    async def _list_prices(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        rows = list(reversed(self.of("price")))
        keys = p.get("lookup_keys")
        if keys is not None:
            wanted = set(keys if isinstance(keys, list) else [keys])
            rows = [r for r in rows if r["lookup_key"] in wanted]
        if "active" in p:
            rows = [r for r in rows if str(r["active"]).lower() == p["active"]]
        return self._list(rows, "/v1/prices", int(p.get("limit", 10)))

    async def _create_portal_config(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        config = self._store(
            {
                "id": _id("bpc"),
                "object": "billing_portal.configuration",
                "active": True,
                "created": int(time.time()),
                "features": p.get("features", {}),
                "business_profile": p.get("business_profile", {}),
                "default_return_url": p.get("default_return_url"),
                "is_default": False,  # an API-made configuration is never the default
                "livemode": False,
                "metadata": p.get("metadata", {}),
            }
        )
        return web.json_response(config)

    async def _create_portal_session(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        if p.get("customer") not in self.objects:
            return error(
                400,
                f"No such customer: '{p.get('customer')}'",
                code="resource_missing",
                param="customer",
            )
        config = p.get("configuration")
        if config is None and not any(
            c["is_default"] for c in self.of("billing_portal.configuration")
        ):
            return error(
                400,
                "No configuration provided and your test mode default configuration has not "
                "been created.",
            )
        if config is not None and config not in self.objects:
            return error(400, f"No such configuration: '{config}'", param="configuration")
        sid = _id("bps")
        session = self._store(
            {
                "id": sid,
                "object": "billing_portal.session",
                "configuration": p.get("configuration"),
                "created": int(time.time()),
                "customer": p["customer"],
                "livemode": False,
                "return_url": p.get("return_url"),
                "url": f"{self.url}/portal/{sid}",
            }
        )
        return web.json_response(session)

    async def _create_checkout(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        items = p.get("line_items") or []
        if p.get("mode") != "subscription" or not items:
            return error(400, "line_items and mode are required.", param="line_items")
        price_id = items[0].get("price")
        if price_id not in self.objects:
            return error(
                400,
                f"No such price: '{price_id}'",
                code="resource_missing",
                param="line_items[0][price]",
            )
        customer = p.get("customer")
        if customer is not None and customer not in self.objects:
            return error(
                400, f"No such customer: '{customer}'", code="resource_missing", param="customer"
            )
        sid = "cs_test_" + secrets.token_hex(24)
        now = int(time.time())
        session = self._store(
            {
                "id": sid,
                "object": "checkout.session",
                "allow_promotion_codes": p.get("allow_promotion_codes") == "true",
                "cancel_url": p.get("cancel_url"),
                "client_reference_id": p.get("client_reference_id"),
                "created": now,
                "currency": "gbp",
                "customer": customer,
                "expires_at": now + 86400,
                "livemode": False,
                "metadata": p.get("metadata", {}),
                "mode": "subscription",
                "payment_status": "unpaid",
                "status": "open",
                "subscription": None,
                "success_url": p.get("success_url"),
                "ui_mode": "hosted",
                "url": f"{self.url}/pay/{sid}",
                "_price": price_id,
                "_subscription_metadata": (p.get("subscription_data") or {}).get("metadata", {}),
            }
        )
        return web.json_response(self._public(session))

    async def _get_checkout(self, request: web.Request) -> web.Response:
        found = self._obj(request, "checkout.session")
        return found if isinstance(found, web.Response) else web.json_response(self._public(found))

    async def _list_checkout(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        rows = list(reversed(self.of("checkout.session")))
        if "customer" in p:
            rows = [r for r in rows if r["customer"] == p["customer"]]
        if "status" in p:
            rows = [r for r in rows if r["status"] == p["status"]]
        return self._list(rows, "/v1/checkout/sessions", int(p.get("limit", 10)))

    async def _expire_checkout(self, request: web.Request) -> web.Response:
        found = self._obj(request, "checkout.session")
        if isinstance(found, web.Response):
            return found
        if found["status"] != "open":
            return error(
                400,
                f'Only Checkout Sessions with a status in ["open"] can be expired. '
                f'This Checkout Session has a status of "{found["status"]}".',
            )
        found.update(status="expired", url=None)
        self._event("checkout.session.expired", self._public(found))
        self._flush()
        return web.json_response(self._public(found))

    async def _list_subscriptions(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        rows = list(reversed(self.of("subscription")))
        if "customer" in p:
            rows = [r for r in rows if r["customer"] == p["customer"]]
        status = p.get("status")
        if status is None:
            rows = [r for r in rows if r["status"] not in ("canceled", "incomplete_expired")]
        elif status != "all":
            rows = [r for r in rows if r["status"] == status]
        return self._list(rows, "/v1/subscriptions", int(p.get("limit", 10)))

    async def _update_subscription(self, request: web.Request) -> web.Response:
        found = self._obj(request, "subscription")
        if isinstance(found, web.Response):
            return found
        p = request[PARAMS]
        changes: dict[str, Any] = {}
        if "cancel_at_period_end" in p:
            flag = p["cancel_at_period_end"] == "true"
            end = found["items"]["data"][0]["current_period_end"]
            changes.update(cancel_at_period_end=flag, cancel_at=end if flag else None)
        if "metadata" in p:
            changes["metadata"] = {**found["metadata"], **p["metadata"]}
        self._set_sub(found, **changes)
        self._flush()
        return web.json_response(found)

    async def _delete_subscription(self, request: web.Request) -> web.Response:
        found = self._obj(request, "subscription")
        if isinstance(found, web.Response):
            return found
        if found["status"] == "canceled":
            return error(
                400,
                "A canceled subscription can only update its cancellation_details and metadata.",
            )
        self._cancel(found)
        self._flush()
        return web.json_response(found)

    async def _get_event(self, request: web.Request) -> web.Response:
        for event in self.events:
            if event["id"] == request.match_info["id"]:
                return web.json_response(event)
        return error(404, f"No such event: '{request.match_info['id']}'", code="resource_missing")

    async def _list_events(self, request: web.Request) -> web.Response:
        return self._list(list(reversed(self.events)), "/v1/events", 100)

    async def _create_endpoint(self, request: web.Request) -> web.Response:
        p = request[PARAMS]
        endpoint = self._store(
            {
                "id": _id("we"),
                "object": "webhook_endpoint",
                "api_version": p.get("api_version"),
                "created": int(time.time()),
                "enabled_events": p.get("enabled_events", []),
                "livemode": False,
                "metadata": p.get("metadata", {}),
                "secret": WEBHOOK_SECRET,
                "status": "enabled",
                "url": p.get("url"),
            }
        )
        return web.json_response(endpoint)

    # hosted pages ---------------------------------------------------------------------
    async def _pay_page(self, request: web.Request) -> web.Response:
        session = self.objects.get(request.match_info["id"])
        if session is None or session["status"] != "open":
            return web.Response(
                text="<p>This checkout session has expired.</p>",
                status=404,
                content_type="text/html",
            )
        price = self.objects[session["_price"]]
        amount = f"£{price['unit_amount'] / 100:.2f}"
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>Checkout</title></head>
<body><h1>Subscribe</h1><p id="amount">{html.escape(amount)} per month</p>
<form method="post"><label>Card number
<input name="card" id="card" value="4242 4242 4242 4242"></label>
<button type="submit" id="pay">Pay</button></form>
<a id="back" href="{html.escape(session["cancel_url"] or "")}">Back</a></body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def _pay_submit(self, request: web.Request) -> web.StreamResponse:
        sid = request.match_info["id"]
        form = await request.post()
        session = self.objects.get(sid)
        if session is None:
            return web.Response(status=404)
        sub = self.pay(sid, str(form.get("card", "")))
        if sub is None:
            return web.Response(
                text="<p id='declined'>Your card was declined.</p>",
                status=402,
                content_type="text/html",
            )
        target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", sid)
        raise web.HTTPSeeOther(target)

    async def _portal_page(self, request: web.Request) -> web.Response:
        return web.Response(text="<h1>Billing portal</h1>", content_type="text/html")

    async def close(self) -> None:
        await self.settle()
        if self._http is not None:
            await self._http.close()


@asynccontextmanager
async def running_stripe(webhook_url: str = "", **options: Any) -> AsyncIterator[FakeStripe]:
    fake = FakeStripe(webhook_url=webhook_url, **options)
    server = LocalServer(fake.app())
    await server.start()
    fake.url = server.url
    try:
        yield fake
    finally:
        await fake.close()
        await server.close()
