"""`marketplace-monitor stripe-setup` and `account` as an operator runs them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.process import CliProcess
from tests.fakes.stripe_api import API_VERSION, SECRET_KEY, running_stripe


async def _cli(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    process = CliProcess(
        *args, env={"DATABASE_URL": f"sqlite://{tmp_path}/db.sqlite3", **env}, cwd=str(tmp_path)
    )
    await process.start()
    try:
        return await process.wait(within=60), process.output
    finally:
        await process.kill()


async def test_stripe_setup_is_idempotent_and_prints_the_ids(tmp_path: Path) -> None:
    async with running_stripe() as stripe:
        env = {"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_API_URL": stripe.url}
        url = "https://mm.example/stripe/webhook"
        code, first = await _cli(tmp_path, "stripe-setup", "--webhook-url", url, **env)
        assert code == 0, first
        prices = stripe.of("price")
        assert len(prices) == 3 and {p["unit_amount"] for p in prices} == {999, 2499, 4999}
        assert all(p["currency"] == "gbp" and p["recurring"]["interval"] == "month" for p in prices)
        for price in prices:
            assert price["id"] in first
        [endpoint] = stripe.of("webhook_endpoint")
        assert endpoint["api_version"] == API_VERSION and endpoint["url"] == url
        assert "STRIPE_WEBHOOK_SECRET=whsec_" in first
        [config] = stripe.of("billing_portal.configuration")
        update = config["features"]["subscription_update"]
        assert update["proration_behavior"] == "create_prorations"
        assert config["features"]["subscription_cancel"]["mode"] == "at_period_end"
        count = len(stripe.objects)
        code, second = await _cli(tmp_path, "stripe-setup", "--webhook-url", url, **env)
        assert code == 0 and "nothing to create" in second, second
        assert len(stripe.objects) == count
        assert SECRET_KEY not in first + second


async def test_stripe_setup_overrides_a_price(tmp_path: Path) -> None:
    async with running_stripe() as stripe:
        env = {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_API_URL": stripe.url,
            "STRIPE_PRICE_PRO": "price_mine",
        }
        code, out = await _cli(tmp_path, "stripe-setup", **env)
        assert code == 0 and "pro: price price_mine" in out, out
        assert len(stripe.of("price")) == 2


async def test_account_set_tier_comps_and_show_lists(tmp_path: Path) -> None:
    code, out = await _cli(tmp_path, "migrate")
    assert code == 0, out
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        conn.execute(
            "INSERT INTO account (tier, timezone, email_link_version, cancel_at_period_end,"
            " sms_month, sms_sent, created_at) VALUES ('free', 'UTC', 0, 0, '', 0,"
            " '2026-01-01 00:00:00+00:00')"
        )
    code, out = await _cli(tmp_path, "account", "set-tier", "1", "pro")
    assert code == 0 and "#1 pro (stripe: -, comp: pro)" in out, out
    code, out = await _cli(tmp_path, "account", "list")
    assert code == 0 and "#1 pro" in out
    code, out = await _cli(tmp_path, "account", "set-tier", "1", "none")
    assert "#1 free (stripe: -, comp: -)" in out
    code, out = await _cli(tmp_path, "account", "show", "7")
    assert code == 2 and "no account #7" in out
