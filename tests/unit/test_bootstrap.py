"""One bootstrap builds the Monitor for ``run``, ``demo`` and the tests' world."""

from __future__ import annotations

import aiohttp
from pydantic import SecretStr

import bot.app
import tests.unit.world
from bot.bootstrap import bootstrap
from bot.settings import Settings
from core.enums import Channel
from core.tiers import TierTable
from tests.unit.world import World


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_run_demo_and_the_world_share_one_builder() -> None:
    assert bot.app.bootstrap is bootstrap
    assert tests.unit.world.bootstrap is bootstrap


async def test_the_world_is_the_production_wiring(world: World) -> None:
    monitor = world.monitor
    assert (world.runner, world.dispatcher, world.searches) == (
        monitor.runner,
        monitor.dispatcher,
        monitor.searches,
    )
    # One key store and one retention, as in `run`: not a default built per component.
    assert monitor.dispatcher.keys is monitor.keys
    assert monitor.dispatcher.retention is monitor.retention
    assert monitor.chat.searches is monitor.searches


async def test_run_wires_code_senders_and_the_webhook_probe_explicitly(db: str) -> None:
    settings = _settings(
        smtp_url=SecretStr("smtp://127.0.0.1:2525"),
        email_from="alerts@mm.example",
    )
    async with aiohttp.ClientSession() as http:
        delivery = bot.app.build_delivery_notifiers(settings, http)
    monitor = bootstrap(
        bot.app.boot_config(settings),
        marketplaces={},
        notifiers=delivery.notifiers,
        tiers=TierTable.default(),
        verifiers=delivery.verifiers,
    )
    verification = monitor.chat.verification
    assert verification is not None
    assert verification.senders == {Channel.EMAIL: delivery.notifiers["email"]}
    assert verification.webhook is delivery.notifiers["webhook"]
    assert verification.keys is monitor.keys is monitor.dispatcher.keys
    assert monitor.retention.options.days == settings.retention_days


async def test_without_verifiers_the_chat_offers_no_verification(db: str) -> None:
    monitor = bootstrap(
        bot.app.boot_config(_settings()),
        marketplaces={},
        notifiers={},
        tiers=TierTable.default(),
    )
    assert monitor.chat.verification is None
