"""The committed migrations describe exactly the models: none forgotten after a model change."""

from __future__ import annotations

from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from core.db import tortoise_config


async def test_migrations_are_in_step_with_the_models(tmp_path: Path) -> None:
    config = tortoise_config(f"sqlite://{tmp_path / 'check.sqlite3'}")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        detector = MigrationAutodetector(ctx.apps, config["apps"])
        pending = await detector.changes()
    assert pending == [], (
        "models changed without a migration: run "
        "`.venv/bin/tortoise -c core.db.MIGRATIONS_TOOL_CONFIG makemigrations`"
    )
