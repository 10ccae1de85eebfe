"""The Telegram front door scales out: webhook mode, conversations kept in the database.

Two `run --only web,bots` processes on one Postgres sit behind a load balancer (the fake Bot
API pushes each update to the next process in turn); one user completes /newsearch, /settings
and a /delete confirmation with consecutive updates landing on different processes. A third
process, `--only runner,dispatcher`, makes the search's first check and delivers its preview:
that is the deployment this shape stands for (front doors scaled on their own, the work
elsewhere), and it shows the preview reaches the chat from a process without any bot.

A `run` killed (SIGKILL) mid-wizard and started again continues the same wizard; that part
runs on SQLite too, with one process.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.enums import InboxStatus
from core.models import Account, InboxChat, InboxUpdate, Search
from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, free_port
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Sent, running_fake_telegram

pytestmark = pytest.mark.slow

ZOE = FakeTelegram.user(2301, "Zoe", "zoe")
WAIT = 20.0  # generous: three processes share two slow cores
WEBHOOK = {
    "TELEGRAM_MODE": "webhook",
    "TELEGRAM_WEBHOOK_SECRET": "scale-out_secret",
    "PUBLIC_URL": "https://bot.example.com:8443",
}


@dataclass
class Node:
    """One `python -m bot run` process, its output read all along (a full pipe stalls it)."""

    process: CliProcess
    port: int
    drain: asyncio.Task[None] | None = field(default=None)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def output_has(self, text: str, within: float = 45) -> None:
        for _ in range(int(within * 10)):
            if text in self.process.output:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} not in the output:\n{self.process.output}")


@pytest.fixture
async def sandbox() -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(listings_per_minute=1)) as url:
        yield url


def _env(database_url: str, sandbox: str, fake: FakeTelegram, port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SANDBOX_URL": sandbox,
        "WEB_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.url,
        "FETCH_SHARE_SECONDS": "1",
        **WEBHOOK,
    }


async def _launch(env: dict[str, str], cwd: Path, *only: str) -> Node:
    args = ("run", "--only", ",".join(only)) if only else ("run",)
    node = Node(CliProcess(*args, env=env, cwd=str(cwd)), int(env["WEB_PORT"]))
    await node.process.start()
    node.drain = asyncio.create_task(_drain(node.process))
    return node


async def _drain(process: CliProcess) -> None:
    assert process.proc and process.proc.stdout
    while chunk := await process.proc.stdout.read(65536):
        process.output += chunk.decode(errors="replace")


async def _stop(nodes: list[Node]) -> None:
    """SIGTERM each; every one stops cleanly and never shows the token."""
    try:
        for node in nodes:
            if node.drain is not None:
                node.drain.cancel()
            code = await node.process.stop(signal.SIGTERM, within=30)
            print(node.process.output)  # shown by pytest when the test fails
            assert code == 0, node.process.output
            assert "Stopped cleanly." in node.process.output
            assert TOKEN.split(":")[1] not in node.process.output
    finally:
        for node in nodes:
            await node.process.kill()


async def _say(fake: FakeTelegram, text: str, expect: str) -> Sent:
    await fake.send_text(ZOE, text)
    return await fake.message_with(ZOE["id"], expect, within=WAIT)


async def _press(fake: FakeTelegram, sent: Sent, label: str, expect: str | None = None) -> Sent:
    query_id = await fake.press(ZOE, sent, sent.button(label)["callback_data"])
    await fake.answered(query_id, within=WAIT)
    return await fake.message_with(ZOE["id"], expect, within=WAIT) if expect else sent


async def _wizard_start(fake: FakeTelegram) -> Sent:
    """/newsearch up to the keywords' question: the wizard is half done."""
    await _say(fake, "/newsearch", "What shall we call")
    menu = await _say(fake, "Scaled PS5", "Which marketplaces?")
    await _press(fake, menu, "Sandbox")
    return await _say(fake, "ps5 scaled", "Any words")


async def _wizard_finish(fake: FakeTelegram, menu: Sent) -> int:
    """The rest of the wizard, from its keywords' question; the new search's id."""
    await _press(fake, menu, "None")
    menu = await _say(fake, "100-300", "Where?")
    for label in ("Anywhere", "Pounds", "Any", "Every 30 min", "This chat only"):
        await _press(fake, menu, label)
    assert "Scaled PS5" in menu.text and "£100.00 – £300.00" in menu.text
    await _press(fake, menu, "Confirm")
    live = re.search(r"#(\d+) Scaled PS5 is live", menu.text)
    assert live, menu.text
    return int(live.group(1))


async def _settings(fake: FakeTelegram) -> None:
    menu = await _say(fake, "/settings", "⚙ Settings")
    zones = await _press(fake, menu, "Time zone", "Which time zone")
    menu = await _press(fake, zones, "Central Europe", "Time zone set to Europe/Berlin")
    await _press(fake, menu, "Quiet hours", "Quiet hours: alerts arrive")
    menu = await _say(fake, "22:00-07:00", "🌙 Quiet hours: 22:00–07:00")
    await _press(fake, menu, "Done")


async def _delete(fake: FakeTelegram, search_id: int) -> None:
    ask = await _say(fake, f"/delete {search_id}", f"Delete #{search_id} Scaled PS5?")
    await _press(fake, ask, "Yes, delete it", f"Deleted #{search_id}")


@pytest.mark.timeout(240)
async def test_two_web_processes_share_one_users_conversations(
    db: str, sandbox: str, tmp_path: Path
) -> None:
    if db.startswith("sqlite"):
        pytest.skip("SQLite runs one process; this is the Postgres deployment")
    async with running_fake_telegram() as fake:
        envs = [_env(db, sandbox, fake, free_port()) for _ in range(3)]
        nodes = [
            await _launch(envs[0], tmp_path, "web", "bots"),
            await _launch(envs[1], tmp_path, "web", "bots"),
            await _launch(envs[2], tmp_path, "runner", "dispatcher"),
        ]
        try:
            for node in nodes[:2]:  # logged once it takes updates: no push is refused
                await node.output_has("is up (webhook)")
            await nodes[2].output_has("telegram: sending only")
            fake.webhook_origins = [nodes[0].origin, nodes[1].origin]  # the load balancer
            await fake.wait_for(lambda: fake.webhook, within=WAIT)

            await _say(fake, "/start", "Welcome")
            search_id = await _wizard_finish(fake, await _wizard_start(fake))
            # Checked by the third process, its preview sent through the notice outbox.
            await fake.message_with(ZOE["id"], f"#{search_id} Scaled PS5: first check done", 45)
            await _settings(fake)
            await _delete(fake, search_id)

            origins = [origin for _, origin in fake.pushed]
            assert len(origins) >= 20 and fake.pending_updates() == 0
            # Every update went to the other process than the one before it.
            expected = [nodes[n % 2].origin for n in range(len(origins))]
            assert origins == expected, origins
        finally:
            await _stop(nodes)
    account = await Account.get()
    assert account.timezone == "Europe/Berlin"
    assert (account.quiet_start_minute, account.quiet_end_minute) == (22 * 60, 7 * 60)
    assert not await Search.exists(id=search_id)
    assert await InboxUpdate.filter(status=InboxStatus.HANDLED).count() == len(origins)


def _settled_sqlite(path: Path) -> bool:
    with sqlite3.connect(path) as conn:
        pending = conn.execute(
            "SELECT count(*) FROM inbox_update WHERE status != ?", (InboxStatus.HANDLED.value,)
        ).fetchone()[0]
        leased = conn.execute(
            "SELECT count(*) FROM inbox_chat WHERE lease_until IS NOT NULL"
        ).fetchone()[0]
    return pending == 0 and leased == 0


async def _settled_postgres() -> bool:
    pending = await InboxUpdate.exclude(status=InboxStatus.HANDLED).count()
    leased = await InboxChat.filter(lease_until__isnull=False).count()
    return pending == 0 and leased == 0


async def _inbox_settles(db_url: str, sqlite_file: Path | None) -> None:
    """Every update handled and its chat let go: a kill now loses no handler in flight."""
    for _ in range(int(WAIT * 10)):
        done = _settled_sqlite(sqlite_file) if sqlite_file else await _settled_postgres()
        if done:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the inbox did not settle")


@pytest.mark.timeout(180)
async def test_a_run_killed_mid_wizard_continues_it_after_a_restart(
    db: str, sandbox: str, tmp_path: Path
) -> None:
    sqlite_file = tmp_path / "run.sqlite3" if db.startswith("sqlite") else None
    db_url = f"sqlite://{sqlite_file}" if sqlite_file else db
    async with running_fake_telegram() as fake:
        env = _env(db_url, sandbox, fake, free_port())
        first = await _launch(env, tmp_path)
        try:
            await first.output_has("is up (webhook)")
            fake.webhook_origin = first.origin  # the TLS proxy's upstream
            await fake.wait_for(lambda: fake.webhook, within=WAIT)
            menu = await _wizard_start(fake)
            await _inbox_settles(db_url, sqlite_file)
        finally:
            if first.drain is not None:
                first.drain.cancel()
            await first.process.kill()  # SIGKILL: no drain, no goodbye
        assert first.process.proc and first.process.proc.returncode == -signal.SIGKILL

        again = await _launch(env, tmp_path)  # same port: the proxy's upstream is unchanged
        try:
            await again.output_has("is up (webhook)")
            search_id = await _wizard_finish(fake, menu)  # the old menu's buttons still work
            await fake.message_with(ZOE["id"], f"#{search_id} Scaled PS5: first check done", 45)
        finally:
            await _stop([again])
    assert not [t for t in fake.texts(ZOE["id"]) if "start again" in t.lower()]
