"""``GET /health``: is the database reachable and, in a process that runs it, is the runner
still ticking? 200 when both are fine, 503 naming the failing part otherwise."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from core.clock import Clock, utcnow
from core.db import ping

logger = logging.getLogger(__name__)

OK = "ok"
NO_RUNNER = "not running in this process"

RunnerLastTick = Callable[[], datetime | None]


@dataclass(frozen=True, slots=True)
class HealthReport:
    ok: bool
    database: str
    runner: str

    def as_json(self) -> dict[str, Any]:
        status = OK if self.ok else "unavailable"
        return {"status": status, "database": self.database, "runner": self.runner}


class HealthProbe:
    """Checks what a load balancer or supervisor needs to know, from the callables it is given.

    ``runner_last_tick`` is None in a web-only process (healthy without a runner); otherwise it
    returns the runner's last tick, or None before the first one.
    """

    def __init__(
        self,
        runner_last_tick: RunnerLastTick | None = None,
        *,
        max_tick_age_seconds: float = 60.0,
        database_timeout_seconds: float = 5.0,
        clock: Clock = utcnow,
    ) -> None:
        self.runner_last_tick = runner_last_tick
        self.max_tick_age_seconds = max_tick_age_seconds
        self.database_timeout_seconds = database_timeout_seconds
        self.clock = clock
        # The runner gets one tick's grace after start-up before "no tick yet" counts as down.
        self.started_at = clock()

    async def check(self) -> HealthReport:
        database_ok, database = await self._database()
        runner_ok, runner = self._runner()
        return HealthReport(ok=database_ok and runner_ok, database=database, runner=runner)

    async def _database(self) -> tuple[bool, str]:
        try:
            async with asyncio.timeout(self.database_timeout_seconds):
                await ping()
        except Exception as exc:
            # Only the exception's type leaves the process: its text may hold the database URL.
            logger.warning("health check: database unreachable (%s)", type(exc).__name__)
            logger.debug("health check: database error", exc_info=True)
            return False, f"unreachable: {type(exc).__name__}"
        return True, OK

    def _runner(self) -> tuple[bool, str]:
        if self.runner_last_tick is None:
            return True, NO_RUNNER
        last_tick = self.runner_last_tick()
        now = self.clock()
        if last_tick is None:
            waited = (now - self.started_at).total_seconds()
            if waited <= self.max_tick_age_seconds:
                return True, "starting"
            return False, f"no tick in {waited:.0f}s since start"
        age = (now - last_tick).total_seconds()
        if age > self.max_tick_age_seconds:
            return False, f"stale: last tick {age:.0f}s ago"
        return True, OK


HEALTH = web.AppKey("health", HealthProbe)


async def health(request: web.Request) -> web.Response:
    report = await request.app[HEALTH].check()
    return web.json_response(
        report.as_json(),
        status=200 if report.ok else 503,
        headers={"Cache-Control": "no-store"},
    )


def add_health_routes(app: web.Application, probe: HealthProbe) -> None:
    app[HEALTH] = probe
    app.router.add_get("/health", health)
