"""Opening the database and applying the committed migrations."""

from __future__ import annotations

import fcntl
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as tortoise_migrate

from core.errors import ConfigurationError

MODELS_MODULE = "core.models"
MIGRATIONS_MODULE = "core.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config for one database URL (``sqlite://path`` or ``postgres://…``)."""
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
        raise ConfigurationError(
            f"DATABASE_URL must start with sqlite:// or postgres://, got {database_url!r}"
        )
    url = database_url.replace("postgresql://", "postgres://", 1)
    return {
        "connections": {"default": url},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite://")


def _ensure_sqlite_folder(database_url: str) -> None:
    path = database_url.removeprefix("sqlite://")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


async def migrate(database_url: str) -> None:
    """Apply every migration not yet applied. Safe to run at every start."""
    if is_sqlite(database_url):
        _ensure_sqlite_folder(database_url)
    await tortoise_migrate(config=tortoise_config(database_url))


@asynccontextmanager
async def open_database(database_url: str, *, run_migrations: bool = True) -> AsyncIterator[None]:
    """Connect (and migrate) for the lifetime of the block; the pool is closed on exit."""
    if is_sqlite(database_url):
        _ensure_sqlite_folder(database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        if run_migrations:
            await migrate(database_url)
        yield
    finally:
        await connections.close_all()
        await Tortoise.close_connections()


@contextmanager
def sqlite_single_process(database_url: str) -> Iterator[None]:
    """Hold an exclusive lock beside the SQLite file while this process uses it.

    SQLite has one writer and no row locks to divide work with, so a second `run` on the
    same file is refused with a clear message instead of doubling checks.
    """
    if not is_sqlite(database_url):
        yield
        return
    path = Path(database_url.removeprefix("sqlite://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise ConfigurationError(
                f"SQLite runs one process at a time: {path} is in use by pid {holder}. "
                "Stop it, or set DATABASE_URL=postgres://… to run several processes."
            ) from exc
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# For `tortoise -c core.db.MIGRATIONS_TOOL_CONFIG makemigrations` after a model change
# (README, Development); the file is a scratch database the tool compares against.
MIGRATIONS_TOOL_CONFIG = tortoise_config("sqlite://data/makemigrations.sqlite3")
