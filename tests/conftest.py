"""Shared fixtures: a migrated database per test run, emptied before each test.

SQLite by default; set TEST_DATABASE_URL=postgres://… to run the same suite on Postgres.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise, connections

from core.db import migrate, open_database

TABLES = (
    # issue 16: prices
    "price_feedback",
    "price_sample",
    "price_item",
    "api_idempotency",
    "api_rate_window",
    "api_token",
    "exchange_rate",
    "manager_role",
    "blocked_seller",
    "saved_listing",
    "query_category",
    "conversation",
    "inbox_update",
    "inbox_chat",
    "notice",
    "verification_code",
    "marketplace_state",
    "alert",
    "match",
    "search_fetch_key",
    "fetch_key",
    "search",
    "listing",
    "destination",
    "chat_identity",
    "template",
    "stripe_event",
    "account",
)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        url = "sqlite://" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        asyncio.run(_migrate_once(url))
        yield url
        return
    # A database of its own for this run, so an old schema or a parallel run cannot interfere.
    name = f"mm_test_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        asyncio.run(_migrate_once(url))
        yield url
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(server_url: str, statement: str) -> None:
    conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate_once(url: str) -> None:
    try:
        await migrate(url)
    finally:
        await connections.close_all()
        await Tortoise.close_connections()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    async with open_database(database_url, run_migrations=False):
        await _empty_tables(database_url)
        yield database_url


async def _empty_tables(url: str) -> None:
    conn = connections.get("default")
    if url.startswith("sqlite://"):
        for table in TABLES:
            await conn.execute_script(f'DELETE FROM "{table}"')
    else:
        await conn.execute_script(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in TABLES) + " RESTART IDENTITY CASCADE"
        )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
