"""Benchmark of alert delivery to Telegram under Telegram's limits (prints figures; not a test).

N alerts (default 10,000) to C private chats (default 1,000), all queued at once, are
delivered by the production dispatcher and Telegram notifier through the local Bot API fake
(tests/fakes/telegram_api.py), which answers 429 to any send over Telegram's limits: 30 a
second for the bot, 1 a second per private chat, 20 a minute per group. Every alert has a
photo (sendPhoto). It prints the sustained sends per second, the 429 answers, and the
alert row → sendPhoto latency p50/p99 (a burst: the latency is mostly the queue ahead).

    .venv/bin/python bench/delivery.py --alerts 10000 --chats 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

# The local Bot API fake lives with the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.bootstrap import BootConfig, bootstrap
from bot.telegram.frontend import TelegramConfig, TelegramFrontend
from bot.telegram.ratelimit import RateLimits
from core.db import open_database
from core.dispatcher import DispatcherOptions
from core.enums import AlertStatus, Platform
from core.models import Account, Alert, Destination, Listing, Match, Search
from core.tiers import TierTable
from tests.fakes.telegram_api import TOKEN, running_fake_telegram


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if values else 0.0


async def queue_alerts(alerts: int, chats: int, image_url: str, first_user: int) -> None:
    now = datetime.now(UTC)
    account = await Account.create(tier="business")
    destinations = await Destination.bulk_create(
        [
            Destination(platform=Platform.TELEGRAM, chat_id=str(first_user + n), account=account)
            for n in range(chats)
        ]
    )
    destinations = await Destination.all().order_by("id")
    await Search.bulk_create(
        [
            Search(
                account=account,
                destination=d,
                name=f"bench {n}",
                criteria={"keywords": "bike"},
                marketplaces=["sandbox"],
                channels=["chat"],
                interval_seconds=300,
                next_check_at=now,
                primed_at=now,
            )
            for n, d in enumerate(destinations)
        ]
    )
    searches = await Search.all().order_by("id")
    per_chat = max(1, alerts // chats)
    await Listing.bulk_create(
        [
            Listing(
                marketplace="sandbox",
                external_id=f"b{n}",
                url=f"https://example.test/{n}",
                title=f"Road bike {n}",
                price=Decimal("120"),
                image_url=image_url,
                first_seen_at=now,
                last_seen_at=now,
            )
            for n in range(per_chat)
        ]
    )
    listings = await Listing.all().order_by("id")
    await Match.bulk_create(
        [Match(search=s, listing=li, alerted_price=li.price) for s in searches for li in listings],
        batch_size=2000,
    )
    matches = await Match.all().order_by("id").values_list("id", flat=True)
    await Alert.bulk_create(
        [
            Alert(match_id=m, channel="chat", route="telegram", next_attempt_at=now, created_at=now)
            for m in matches
        ],
        batch_size=2000,
    )


async def measure(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        async with (
            open_database(f"sqlite://{folder}/bench.sqlite3"),
            running_fake_telegram() as fake,
        ):
            fake.per_bot_per_second = 30
            fake.per_chat_per_second = 1
            fake.per_group_per_minute = 20
            first_user = 100_000
            for n in range(args.chats):
                fake.private_chat(fake.user(first_user + n))
            await queue_alerts(args.alerts, args.chats, fake.image_url(), first_user)
            total = await Alert.all().count()
            defaults = DispatcherOptions()
            config = BootConfig(
                dispatcher=DispatcherOptions(
                    batch_size=args.batch or defaults.batch_size,
                    max_concurrent_sends=args.concurrent or defaults.max_concurrent_sends,
                )
            )
            monitor = bootstrap(config, marketplaces={}, notifiers={},
                                tiers=TierTable.default())  # fmt: skip
            # The production limits (RateLimits' defaults: 30/s, 1/s per chat, 20/min per
            # group), the same numbers the fake enforces.
            limits = RateLimits()
            telegram = TelegramConfig(token=TOKEN, api_url=fake.url, limits=limits,
                                      poll_timeout_seconds=1)  # fmt: skip
            frontend = TelegramFrontend(telegram, monitor.chat)
            monitor.add_notifier("telegram", frontend.notifier)
            front = asyncio.create_task(frontend.run())
            await asyncio.sleep(1)  # set up (commands, polling) before the clock starts
            started = time.monotonic()
            cpu0 = time.process_time()
            sender = asyncio.create_task(monitor.dispatcher.run())
            timeline = []
            while (sent := await Alert.filter(status=AlertStatus.SENT).count()) < total:
                timeline.append(sent)
                if time.monotonic() - started > args.timeout:
                    break
                await asyncio.sleep(1)
            elapsed = time.monotonic() - started
            cpu = time.process_time() - cpu0
            for task in (sender, front):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            rows = await Alert.filter(status=AlertStatus.SENT).values_list("created_at", "sent_at")
            latency = [(b - a).total_seconds() for a, b in rows if a and b]
            photos = len(fake.calls_of("sendPhoto"))
            return {
                "alerts": total,
                "chats": args.chats,
                "sent": len(latency),
                "seconds": elapsed,
                "per_second": len(latency) / elapsed,
                "steady_per_second": _steady(timeline),
                "refused_429": fake.flood_refusals,
                "refused_by_limit": fake.flood_reasons,
                "send_photo_calls": photos,
                "latency_p50_s": pct(latency, 50),
                "latency_p99_s": pct(latency, 99),
                "cpu_s": cpu,
            }


def _steady(timeline: list[int]) -> float:
    """Sends a second between the first and last tenth of the run (start-up and tail aside)."""
    if len(timeline) < 10:
        return 0.0
    a, b = len(timeline) // 10, len(timeline) - len(timeline) // 10
    return (timeline[b] - timeline[a]) / (b - a)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=1_000)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--batch", type=int, help="dispatcher batch size (default: production's)")
    parser.add_argument("--concurrent", type=int, help="concurrent sends (default: production's)")
    parser.add_argument("--json")
    args = parser.parse_args()
    found = asyncio.run(measure(args))
    print(
        f"\n== Telegram delivery: {found['alerts']:,} alerts to {found['chats']:,} chats "
        f"(limits: 30/s per bot, 1/s per chat, 20/min per group)"
    )
    print(
        f"  delivered {found['sent']:,} in {found['seconds']:.0f} s: {found['per_second']:.1f}/s "
        f"overall, {found['steady_per_second']:.1f}/s steady"
    )
    print(
        f"  429 answers: {found['refused_429']} {found['refused_by_limit']}; "
        f"sendPhoto calls: {found['send_photo_calls']}"
    )
    print(
        f"  alert row → sendPhoto p50 {found['latency_p50_s']:.1f} s, "
        f"p99 {found['latency_p99_s']:.1f} s (all queued at once); CPU {found['cpu_s']:.1f} s"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(found, out)


if __name__ == "__main__":
    main()
