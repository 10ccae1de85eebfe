"""`marketplace-monitor stripe-setup`: the operator's Stripe account made ready, idempotently.

One Product and one monthly GBP Price per paid tier, found by the price's ``lookup_key`` (so a
second run finds them and creates nothing), the Customer Portal configuration (switching
between those prices with proration, cancellation at the period's end, invoice history), and
with a webhook URL the endpoint itself, on the API version the SDK pins (event shapes depend
on it). Prices, names and limits come from core/tiers.py; STRIPE_PRICE_* override.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import stripe

from billing.stripe_gateway import API_VERSION, PORTAL_APP, _call, _key
from core.billing import DISPUTE, HANDLED
from core.enums import Tier
from core.tiers import TierTable

PAID = (Tier.STARTER, Tier.PRO, Tier.BUSINESS)
# The webhook endpoint is sent what core.billing handles, and disputes (logged for the operator).
EVENTS = [*sorted(HANDLED), DISPUTE]
PORTAL_KEY = PORTAL_APP


def lookup_key(tier: Tier) -> str:
    return f"marketplace_monitor_{tier.value}_monthly"


@dataclass
class SetupResult:
    prices: dict[Tier, str] = field(default_factory=dict)
    products: dict[Tier, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    portal_configuration: str = ""
    webhook_endpoint: str = ""
    webhook_secret: str = ""


async def find_prices(client: stripe.StripeClient) -> dict[Tier, str]:
    """The price of each paid tier, by lookup key (what ``run`` uses when not overridden)."""
    keys = [lookup_key(t) for t in PAID]
    found = await _call(
        "finding prices",
        client.v1.prices.list_async(params={"lookup_keys": keys, "active": True, "limit": 100}),
    )
    by_key = {p.lookup_key: str(p.id) for p in found.data}
    return {t: by_key[lookup_key(t)] for t in PAID if lookup_key(t) in by_key}


async def stripe_setup(
    client: stripe.StripeClient,
    tiers: TierTable,
    *,
    overrides: Mapping[Tier, str | None],
    return_url: str,
    webhook_url: str | None = None,
) -> SetupResult:
    result = SetupResult()
    existing = await find_prices(client)
    for tier in PAID:
        if overrides.get(tier):
            result.prices[tier] = str(overrides[tier])
            continue
        if tier in existing:
            result.prices[tier] = existing[tier]
            price = await _call("reading a price", client.v1.prices.retrieve_async(existing[tier]))
            result.products[tier] = str(price.product)
            continue
        limits = tiers.for_tier(tier)
        name = f"Marketplace Monitor {tier.value.title()}"
        product = await _call(
            "creating a product",
            client.v1.products.create_async(
                params={"name": name, "metadata": {"tier": tier.value}},
                options={"idempotency_key": _key("product", tier.value)},
            ),
        )
        pence = int(limits.monthly_price_gbp * Decimal(100))
        price = await _call(
            "creating a price",
            client.v1.prices.create_async(
                params={
                    "product": str(product.id),
                    "currency": "gbp",
                    "unit_amount": pence,
                    "recurring": {"interval": "month"},
                    "lookup_key": lookup_key(tier),
                    "nickname": f"{tier.value.title()} monthly",
                    "metadata": {"tier": tier.value},
                },
                options={"idempotency_key": _key("price", tier.value, pence)},
            ),
        )
        result.products[tier] = str(product.id)
        result.prices[tier] = str(price.id)
        result.created += [f"product {product.id}", f"price {price.id}"]
    result.portal_configuration = await _portal(client, result, return_url)
    if webhook_url:
        await _endpoint(client, result, webhook_url)
    return result


async def _portal(client: stripe.StripeClient, result: SetupResult, return_url: str) -> str:
    configs = await _call(
        "listing portal configurations",
        client.v1.billing_portal.configurations.list_async(params={"limit": 100}),
    )
    for config in configs.data:
        if (config.to_dict().get("metadata") or {}).get("app") == PORTAL_KEY:
            return str(config.id)
    products = [
        {"product": result.products[t], "prices": [result.prices[t]]}
        for t in PAID
        if t in result.products
    ]
    features: dict[str, Any] = {
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True},
        "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
    }
    if products:
        features["subscription_update"] = {
            "enabled": True,
            "default_allowed_updates": ["price"],
            "proration_behavior": "create_prorations",
            "products": products,
        }
    config = await _call(
        "creating the portal configuration",
        client.v1.billing_portal.configurations.create_async(
            params={
                "features": features,  # type: ignore[typeddict-item]
                "default_return_url": return_url,
                "metadata": {"app": PORTAL_KEY},
            },
            options={"idempotency_key": _key("portal-config", *sorted(result.prices.values()))},
        ),
    )
    result.created.append(f"portal configuration {config.id}")
    return str(config.id)


async def _endpoint(client: stripe.StripeClient, result: SetupResult, url: str) -> None:
    endpoints = await _call(
        "listing webhook endpoints",
        client.v1.webhook_endpoints.list_async(params={"limit": 100}),
    )
    for endpoint in endpoints.data:
        if endpoint.url == url:
            result.webhook_endpoint = str(endpoint.id)
            return
    endpoint = await _call(
        "creating the webhook endpoint",
        client.v1.webhook_endpoints.create_async(
            params={"url": url, "enabled_events": EVENTS, "api_version": API_VERSION},  # type: ignore[typeddict-item]
            options={"idempotency_key": _key("endpoint", url)},
        ),
    )
    result.webhook_endpoint = str(endpoint.id)
    result.webhook_secret = str(endpoint.secret or "")
    result.created.append(f"webhook endpoint {endpoint.id}")
