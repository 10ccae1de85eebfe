"""Running the real `marketplace-monitor` command as a child process, as a user would."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The runner shares one fetch for FETCH_SHARE_SECONDS (the tests set 1): a check asked for
# sooner after the last would be served from it; this is that, plus a margin.
SHARE_WINDOW = 1.5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlite_rows(database: Path, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    """One statement on the service's SQLite file (read or write), its rows."""
    with sqlite3.connect(database) as conn:
        return conn.execute(statement, args).fetchall()


async def check_now(database: Path, last_check: float) -> float:
    """Make every fetch key due and wait until the runner has checked one (the fetch key is
    the unit of scheduled work); returns when, for the next call's ``last_check``."""
    await asyncio.sleep(max(0.0, last_check + SHARE_WINDOW - time.monotonic()))
    count = "SELECT sum(checks_count) FROM fetch_key"
    before = sqlite_rows(database, count)[0][0] or 0
    sqlite_rows(
        database,
        "UPDATE fetch_key SET next_check_at = '2000-01-01 00:00:00+00:00'"
        " WHERE next_check_at IS NOT NULL",
    )
    for _ in range(100):
        if (sqlite_rows(database, count)[0][0] or 0) > before:
            return time.monotonic()
        await asyncio.sleep(0.1)
    raise AssertionError("the runner did not check the search")


class CliProcess:
    """`python -m bot …` with a clean environment (no .env of the developer is read)."""

    def __init__(self, *args: str, env: Mapping[str, str] | None = None, cwd: str) -> None:
        self.args = args
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONUNBUFFERED": "1",
            # Never the real ECB from a test: a closed local port (the fetch fails at once,
            # logged; prices in another currency pass unconverted). Tests may override it.
            "ECB_RATES_URL": "http://127.0.0.1:9/stats/eurofxref/eurofxref-daily.xml",
            **(env or {}),
        }
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None
        self.output = ""

    async def start(self) -> CliProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
        )  # fmt: skip
        return self

    async def send(self, *lines: str) -> None:
        assert self.proc and self.proc.stdin
        self.proc.stdin.write("".join(f"{line}\n" for line in lines).encode())
        await self.proc.stdin.drain()

    async def read_until(self, text: str, within: float) -> str:
        """Read output until ``text`` appears; fails with everything read so far."""
        assert self.proc and self.proc.stdout
        try:
            async with asyncio.timeout(within):
                while text not in self.output:
                    chunk = await self.proc.stdout.read(4096)
                    if not chunk:
                        break
                    self.output += chunk.decode()
        except TimeoutError:
            pass
        assert text in self.output, f"{text!r} not seen; output was:\n{self.output}"
        return self.output

    async def stop(self, signal_number: int, within: float = 15) -> int:
        assert self.proc
        if self.proc.returncode is None:
            self.proc.send_signal(signal_number)
        async with asyncio.timeout(within):
            rest, _ = await self.proc.communicate()
        self.output += rest.decode()
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def wait(self, within: float = 15) -> int:
        """For a command that ends by itself: its exit code."""
        assert self.proc
        async with asyncio.timeout(within):
            rest, _ = await self.proc.communicate()
        self.output += rest.decode()
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def kill(self) -> None:
        """Always called at the end of a test: no child outlives it, no pipe stays open."""
        if self.proc is None:
            return
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.communicate()
