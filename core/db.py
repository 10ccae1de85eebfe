"""Opening the database and applying the committed migrations."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as tortoise_migrate

from core.errors import ConfigurationError

MODELS_MODULE = "core.models"
MIGRATIONS_MODULE = "core.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config for one database URL (``sqlite://path`` or ``postgres://…``)."""
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://", "asyncpg://")):
        raise ConfigurationError(
            f"DATABASE_URL must start with sqlite:// or postgres://, got "
            f"{masked_url(database_url)!r}"
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


def masked_url(database_url: str) -> str:
    """``database_url`` with its password (if any) replaced, for messages and logs."""
    try:
        parts = urlsplit(database_url)
        password = parts.password
    except ValueError:
        return database_url.split("@")[-1]
    if not password:
        return database_url
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:•••@{parts.netloc.rpartition('@')[2]}").geturl()


def _sqlite_path(database_url: str) -> str:
    return database_url.removeprefix("sqlite://")


def _check_sqlite_file(database_url: str) -> None:
    """Open the file once, plainly: the async driver hangs instead of failing on a bad path."""
    path = _sqlite_path(database_url)
    if not path or path == ":memory:":
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA user_version").fetchone()
    except (OSError, sqlite3.Error) as exc:
        raise _sqlite_problem(path, exc) from exc


def _sqlite_problem(path: str, exc: Exception) -> ConfigurationError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return ConfigurationError(f"DATABASE_URL: cannot use the SQLite file {path}: {reason}")


# What connecting can raise: network (refused, unknown host, timeout), the server's refusal
# (credentials, missing database), and SQLite's file errors.
_CONNECT_ERRORS = (OSError, asyncpg.PostgresError, sqlite3.Error)


def _connect_problem(database_url: str, exc: BaseException) -> ConfigurationError:
    cause = exc.__cause__ if isinstance(exc.__cause__, asyncpg.PostgresError) else exc
    if isinstance(cause, socket.gaierror):
        reason = "unknown host"
    elif isinstance(cause, ConnectionRefusedError):
        reason = "connection refused (is the database server running there?)"
    elif isinstance(cause, TimeoutError):
        reason = "timed out"
    elif isinstance(cause, OSError) and cause.strerror:
        reason = cause.strerror
    else:
        reason = str(cause) or type(cause).__name__
    where = masked_url(database_url)
    return ConfigurationError(f"DATABASE_URL: cannot connect to {where}: {reason}")


async def ping() -> None:
    """One trivial query on the open database; raises whatever the driver raises."""
    await connections.get("default").execute_query("SELECT 1")


async def migrate(database_url: str) -> None:
    """Apply every migration not yet applied. Safe to run at every start."""
    if is_sqlite(database_url):
        _check_sqlite_file(database_url)
    await tortoise_migrate(config=tortoise_config(database_url))


@asynccontextmanager
async def open_database(database_url: str, *, run_migrations: bool = True) -> AsyncIterator[None]:
    """Connect (and migrate) for the lifetime of the block; the pool is closed on exit.

    A database that cannot be reached or used is one ConfigurationError naming DATABASE_URL
    (password masked).
    """
    if is_sqlite(database_url):
        _check_sqlite_file(database_url)
    try:
        await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
        if run_migrations:
            await migrate(database_url)
    except _CONNECT_ERRORS as exc:
        await _close()
        raise _connect_problem(database_url, exc) from exc
    try:
        yield
    finally:
        await _close()


async def _close() -> None:
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
    path = Path(_sqlite_path(database_url))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        Path(f"{path}.lock").touch()
    except OSError as exc:
        raise _sqlite_problem(str(path), exc) from exc
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
