"""Paid plans end to end: the real `python -m bot run` with the fake Telegram and fake Stripe.

A Telegram user sends /upgrade, picks Pro, opens the payment link and pays on Stripe's
(fake) hosted page; within seconds the chat says Pro and a 6th search can be started. A
cancel at the period's end is told with its date, and the end downgrades with one message
naming the paused searches. A failed payment is told once. Webhooks with a bad signature or
a stale timestamp are refused by the running service and change nothing.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from billing.setup import stripe_setup
from billing.stripe_gateway import stripe_client
from core.tiers import TierTable
from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, free_port
from tests.fakes.stripe_api import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, running_stripe
from tests.fakes.telegram_api import TOKEN, FakeTelegram, running_fake_telegram

pytestmark = pytest.mark.slow

ANN = FakeTelegram.user(3001, "Ann", "ann")


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(listings_per_minute=1)) as url:
        yield url


class Run:
    def __init__(self, tmp_path: Path, telegram: FakeTelegram, stripe: FakeStripe) -> None:
        self.port = free_port()
        self.database = tmp_path / "run.sqlite3"
        self.telegram = telegram
        self.stripe = stripe
        self.web_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "DATABASE_URL": f"sqlite://{self.database}",
            "WEB_PORT": str(self.port),
            "PUBLIC_URL": self.web_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram.url,
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_URL": stripe.url,
        }
        self.process = CliProcess("run", env=self.env, cwd=str(tmp_path))
        self.drain: asyncio.Task[None] | None = None

    def sql(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as conn:
            return conn.execute(statement, args).fetchall()

    async def start(self, sandbox_url: str) -> None:
        self.process.env["SANDBOX_URL"] = sandbox_url
        await self.process.start()
        self.drain = asyncio.create_task(self._drain())
        for _ in range(300):
            if "telegram: started" in self.process.output:
                break
            await asyncio.sleep(0.1)
        assert "telegram: started" in self.process.output, self.process.output
        self.stripe.webhook_url = f"{self.web_url}/stripe/webhook"

    async def _drain(self) -> None:
        assert self.process.proc and self.process.proc.stdout
        while chunk := await self.process.proc.stdout.read(65536):
            self.process.output += chunk.decode(errors="replace")

    async def stop(self) -> None:
        try:
            if self.drain is not None:
                self.drain.cancel()
            code = await self.process.stop(signal.SIGTERM)
            print(self.process.output)
            assert code == 0
            assert SECRET_KEY not in self.process.output
            assert WEBHOOK_SECRET not in self.process.output
        finally:
            await self.process.kill()

    async def tier(self, expected: str, within: float = 10) -> None:
        for _ in range(int(within * 20)):
            if self.sql("SELECT tier FROM account")[0][0] == expected:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"tier {self.sql('SELECT tier FROM account')}, not {expected}")

    def told(self, part: str) -> list[str]:
        return [m.text for m in self.telegram.sent if m.chat_id == ANN["id"] and part in m.text]


async def _upgrade_to_pro(run: Run) -> None:
    telegram = run.telegram
    await telegram.send_text(ANN, "/start")
    await telegram.message_with(ANN["id"], "Welcome", within=15)
    await telegram.send_text(ANN, "/upgrade")
    plans = await telegram.message_with(ANN["id"], "Plans", within=15)
    query = await telegram.press(ANN, plans, plans.button("Pro")["callback_data"])
    await telegram.answered(query, within=15)
    link = await telegram.message_with(ANN["id"], "Stripe's secure page", within=15)
    pay_url = link.button("Pay £24.99")["url"]
    assert pay_url.startswith(run.stripe.url)
    async with aiohttp.ClientSession() as http:  # the user's browser pays on the hosted page
        async with http.get(pay_url) as page:
            assert "£24.99" in await page.text()
        async with http.post(pay_url, data={"card": "4242 4242 4242 4242"}) as done:
            assert done.status == 200 and str(done.url).startswith(f"{run.web_url}/billing/success")
            page = await done.text()
            assert "You're on Pro" in page or "Payment received" in page
            assert 'href="https://t.me/' in page  # back to the chat
    await run.tier("pro", within=10)
    await telegram.message_with(ANN["id"], "You're on Pro now", within=15)


def _add_searches(run: Run, count: int) -> None:
    account, destination = run.sql("SELECT account_id, id FROM destination")[0]
    for i in range(count):
        run.sql(
            "INSERT INTO search (account_id, destination_id, name, criteria, marketplaces,"
            " channels, status, interval_seconds, fetch_key, next_check_at, checks_count,"
            " matches_count, consecutive_failures, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'active', 300, '', '2100-01-01 00:00:00+00:00',"
            " 0, 0, 0, ?, ?)",
            account, destination, f"Search {i + 1}", '{"keywords": "bike"}', '["sandbox"]',
            '["chat"]', f"2026-01-01 00:00:0{i}+00:00", f"2026-01-01 00:00:0{i}+00:00",
        )  # fmt: skip


@pytest.mark.timeout(150)
async def test_upgrade_pay_then_cancel_at_period_end(tmp_path: Path, sandbox_url: str) -> None:
    async with running_fake_telegram() as telegram, running_stripe() as stripe:
        async with stripe_client(SECRET_KEY, stripe.url) as client:
            await stripe_setup(client, TierTable.default(), overrides={}, return_url="http://x")
        run = Run(tmp_path, telegram, stripe)
        await run.start(sandbox_url)
        try:
            await _upgrade_to_pro(run)
            _add_searches(run, 5)
            await telegram.send_text(ANN, "/newsearch")  # the 6th: Free would refuse
            await telegram.message_with(ANN["id"], "What shall we call", within=15)
            await telegram.send_text(ANN, "/cancel")
            plan = await _plan(run)
            assert "Pro" in plan and "Searches: 5 of 25" in plan and "Renews on" in plan

            sub_id = stripe.of("subscription")[0]["id"]
            stripe.cancel_at_period_end(sub_id)
            await telegram.message_with(ANN["id"], "is cancelled: it stays until", within=15)
            stripe.end_period(sub_id)
            await run.tier("free")
            changed = await telegram.message_with(ANN["id"], "Free plan now", within=15)
            assert "paused “Search 5”, “Search 4”, “Search 3”" in changed.text
            assert "checked every 30 min now: “Search 1”, “Search 2”" in changed.text
            statuses = run.sql("SELECT name, status, paused_reason FROM search ORDER BY id")
            assert statuses == [
                ("Search 1", "active", None),
                ("Search 2", "active", None),
                ("Search 3", "paused", "plan"),
                ("Search 4", "paused", "plan"),
                ("Search 5", "paused", "plan"),
            ]
            await stripe.settle()
            await asyncio.sleep(1)
            assert len(run.told("Free plan now")) == 1
            assert len(run.told("is cancelled")) == 1
        finally:
            await run.stop()


async def _plan(run: Run) -> str:
    await run.telegram.send_text(ANN, "/plan")
    return (await run.telegram.message_with(ANN["id"], "Your plan", within=15)).text


@pytest.mark.timeout(150)
async def test_failed_payment_and_forged_webhooks(tmp_path: Path, sandbox_url: str) -> None:
    async with running_fake_telegram() as telegram, running_stripe() as stripe:
        async with stripe_client(SECRET_KEY, stripe.url) as client:
            await stripe_setup(client, TierTable.default(), overrides={}, return_url="http://x")
        run = Run(tmp_path, telegram, stripe)
        await run.start(sandbox_url)
        try:
            await _upgrade_to_pro(run)
            sub_id = stripe.of("subscription")[0]["id"]
            stripe.hold()
            stripe.give_up(sub_id)  # would end Pro, but arrives forged or stale
            ending = list(stripe.queued)
            for event_id in ending:
                assert await stripe.deliver(event_id, corrupt=True) == 400
                assert await stripe.deliver(event_id, stale=True) == 400
            await asyncio.sleep(0.5)
            assert run.sql("SELECT tier FROM account")[0][0] == "pro"
            for event_id in ending:
                assert await stripe.deliver(event_id) == 200
            await run.tier("free")
            for event_id in [e["id"] for e in stripe.events]:  # every event again, in any order
                assert await stripe.replay(event_id) == 200
            assert run.sql("SELECT tier, subscription_status FROM account")[0] == (
                "free",
                "canceled",
            )
        finally:
            await run.stop()


@pytest.mark.timeout(150)
async def test_a_failed_payment_is_told_once(tmp_path: Path, sandbox_url: str) -> None:
    async with running_fake_telegram() as telegram, running_stripe() as stripe:
        async with stripe_client(SECRET_KEY, stripe.url) as client:
            await stripe_setup(client, TierTable.default(), overrides={}, return_url="http://x")
        run = Run(tmp_path, telegram, stripe)
        await run.start(sandbox_url)
        try:
            await _upgrade_to_pro(run)
            sub_id = stripe.of("subscription")[0]["id"]
            stripe.fail_payment(sub_id)
            told = await telegram.message_with(ANN["id"], "didn't go through", within=15)
            assert f"{stripe.url}/portal/" in told.text
            failed = [e["id"] for e in stripe.events if e["type"] == "invoice.payment_failed"]
            assert await stripe.replay(failed[0]) == 200
            await asyncio.sleep(1.5)
            assert len(run.told("didn't go through")) == 1
            assert run.sql("SELECT tier, subscription_status FROM account")[0] == (
                "pro",
                "past_due",
            )
        finally:
            await run.stop()


async def test_a_secret_key_without_a_webhook_secret_stops_run(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite://{tmp_path}/run.sqlite3",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "WEB_PORT": str(free_port()),
    }
    process = CliProcess("run", env=env, cwd=str(tmp_path))
    await process.start()
    try:
        assert await process.wait(within=30) == 1
        assert "STRIPE_WEBHOOK_SECRET" in process.output
        assert SECRET_KEY not in process.output
    finally:
        await process.kill()
