"""Process supervision: run the named loops until one ends or fails or a signal arrives.

Used by ``run`` and ``demo`` (bot/app.py); knows nothing about what the loops are.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from core.errors import ComponentFailed, ConfigurationError

__all__ = ["DRAIN_SECONDS", "Job", "stop_on_signals", "supervise"]

logger = logging.getLogger(__name__)

# A loop to run: called once, it returns the coroutine the supervisor makes a task of.
Job = Callable[[], Coroutine[Any, Any, None]]

# How long SIGTERM/SIGINT waits for the runner, dispatcher and chat bots to finish what they
# hold; with the cancelling and closing after it, a stop stays within 15 s.
DRAIN_SECONDS = 11.0


@contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[asyncio.Event]:
    """SIGINT/SIGTERM set ``stop`` while the block runs (installed before start-up, so a
    signal that arrives while migrations run is a clean stop too, not a killed process)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def supervise(
    jobs: Mapping[str, Job],
    drains: Mapping[str, Callable[[], None]] | None = None,
    *,
    may_end: frozenset[str] = frozenset(),
    stop: asyncio.Event | None = None,
) -> None:
    """Run the named loops until one ends or fails, or ``stop`` is set; then stop all.

    Without ``stop``, SIGINT/SIGTERM stop it (see ``stop_on_signals``). On a stop the loops in
    ``drains`` are asked to finish what they hold (checks in progress, alerts being sent) for
    up to DRAIN_SECONDS; then everything is cancelled. A loop that fails, or ends without
    being asked to (unless it is in ``may_end``), stops the rest and is raised:
    ConfigurationError as it is, anything else as ComponentFailed.
    """
    if stop is None:
        with stop_on_signals(asyncio.Event()) as signalled:
            await _run(jobs, drains or {}, may_end, signalled)
    else:
        await _run(jobs, drains or {}, may_end, stop)


async def _run(
    jobs: Mapping[str, Job],
    drains: Mapping[str, Callable[[], None]],
    may_end: frozenset[str],
    stop: asyncio.Event,
) -> None:
    tasks: dict[str, asyncio.Task[None]] = {
        name: asyncio.create_task(job(), name=name) for name, job in jobs.items()
    }
    stopper = asyncio.create_task(stop.wait(), name="signals")
    try:
        done, _ = await asyncio.wait(
            [*tasks.values(), stopper], return_when=asyncio.FIRST_COMPLETED
        )
        failure = _first_failure([t for t in done if t is not stopper], may_end)
        await _drain(tasks, drains)
        if failure is not None:
            raise failure
    finally:
        for task in [*tasks.values(), stopper]:
            task.cancel()
        await asyncio.gather(*tasks.values(), stopper, return_exceptions=True)


def _first_failure(ended: Sequence[asyncio.Task[Any]], may_end: frozenset[str]) -> Exception | None:
    for task in ended:
        name = task.get_name()
        if task.cancelled():
            return ComponentFailed(name, "stopped unexpectedly (cancelled)")
        exc = task.exception()
        if exc is None:
            if name not in may_end:
                return ComponentFailed(name, "stopped unexpectedly")
            continue
        if isinstance(exc, ConfigurationError | ComponentFailed):
            return exc
        # The traceback helps a developer; the operator gets the one line.
        logger.debug("%s failed", name, exc_info=exc)
        return ComponentFailed(name, f"failed: {type(exc).__name__}: {exc}")
    return None


async def _drain(
    tasks: Mapping[str, asyncio.Task[None]], drains: Mapping[str, Callable[[], None]]
) -> None:
    draining = [tasks[name] for name in drains if name in tasks and not tasks[name].done()]
    for name, request_stop in drains.items():
        if name in tasks:
            request_stop()
    if draining:
        await asyncio.wait(draining, timeout=DRAIN_SECONDS)
