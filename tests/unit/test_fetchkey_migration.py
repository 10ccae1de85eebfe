"""The fetch-key migration gives the searches of an existing database their keys.

A database is migrated up to the migration before it, given a search the old way, then
`marketplace-monitor migrate` runs: the search has one key per marketplace afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

from core.criteria import Criteria
from core.fetchkeys import FETCH_KEY_VERSION, keys_for, schedule_key

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "0009_inbox"  # the migration 0010_fetchkey follows (see its dependencies)
UP_TO_BEFORE = """
import asyncio, sys
from tortoise import Tortoise
from tortoise.migrations.api import migrate
from core.db import tortoise_config

async def main() -> None:
    await migrate(config=tortoise_config(sys.argv[1]), target="models." + sys.argv[2])
    await Tortoise.close_connections()

asyncio.run(main())
"""


async def _run(*args: str, env: dict[str, str] | None = None) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


async def test_existing_searches_get_their_keys(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"sqlite://{path}"
    await _run("-c", UP_TO_BEFORE, url, BEFORE)
    criteria = Criteria("Road Bike", location="Leeds")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO account (id, tier, timezone, email_link_version, created_at)"
            " VALUES (1, 'pro', 'UTC', 0, '2026-01-01 00:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO destination (id, platform, chat_id, kind, title, active,"
            " account_id, created_at) VALUES (1, 'console', 'c', 'private', '', 1, 1,"
            " '2026-01-01 00:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO search (id, account_id, destination_id, name, criteria, marketplaces,"
            " channels, status, interval_seconds, fetch_key, next_check_at, consecutive_failures,"
            " checks_count, matches_count, created_at, updated_at) VALUES (1, 1, 1, 'bike', ?,"
            " ?, '[\"chat\"]', 'active', 300, 'old', '2026-01-01 00:00:00+00:00',"
            " 0, 0, 0, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')",
            (json.dumps(criteria.to_json()), '["ebay", "gumtree"]'),
        )  # fmt: skip
    await _run("-m", "bot", "migrate", env={"DATABASE_URL": url})
    expected = keys_for(criteria, ["ebay", "gumtree"])
    with sqlite3.connect(path) as conn:
        stored = conn.execute(
            "SELECT k.marketplace, k.digest, k.version FROM search_fetch_key l"
            " JOIN fetch_key k ON k.id = l.fetch_key_id WHERE l.search_id = 1"
        ).fetchall()
        [(fetch_key,)] = conn.execute("SELECT fetch_key FROM search").fetchall()
    assert sorted(stored) == sorted((k.marketplace, k.digest, FETCH_KEY_VERSION) for k in expected)
    assert fetch_key == schedule_key(expected)
