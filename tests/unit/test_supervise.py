"""The process supervisor: a part that fails or ends unasked stops the rest and is raised."""

from __future__ import annotations

import asyncio

import pytest

from bot.supervise import supervise
from core.errors import ComponentFailed, ConfigurationError


async def _forever(stopped: asyncio.Event) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        stopped.set()


async def test_a_part_that_dies_later_stops_the_others_and_names_itself() -> None:
    stopped = asyncio.Event()

    async def dies() -> None:
        await asyncio.sleep(0.05)
        raise RuntimeError("database went away")

    with pytest.raises(ComponentFailed) as caught:
        await supervise({"web": lambda: _forever(stopped), "runner": dies})
    assert str(caught.value) == "runner: failed: RuntimeError: database went away"
    assert stopped.is_set()


async def test_a_part_that_ends_without_being_asked_is_a_failure() -> None:
    stopped = asyncio.Event()

    async def returns() -> None:
        await asyncio.sleep(0.01)

    with pytest.raises(ComponentFailed, match=r"^dispatcher: stopped unexpectedly$"):
        await supervise({"web": lambda: _forever(stopped), "dispatcher": returns})
    assert stopped.is_set()


async def test_a_configuration_error_is_raised_as_it_is() -> None:
    async def refused() -> None:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN: Telegram refused this token")

    with pytest.raises(ConfigurationError, match=r"^TELEGRAM_BOT_TOKEN: "):
        await supervise({"telegram": refused})


async def test_a_part_allowed_to_end_ends_the_run_quietly() -> None:
    stopped = asyncio.Event()
    await supervise(
        {"console": lambda: _forever(stopped), "timer": lambda: asyncio.sleep(0.01)},
        may_end=frozenset({"timer"}),
    )
    assert stopped.is_set()
