"""Running the real `marketplace-monitor` command as a child process, as a user would."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Mapping


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
