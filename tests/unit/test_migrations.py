"""The committed migrations describe exactly the models: none forgotten after a model change."""

from __future__ import annotations

from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.models import Model

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


# What the migrated database really has, as {(columns, unique)} per table.
_SQLITE_INDEX_LIST = 'PRAGMA index_list("{table}")'
_POSTGRES_INDEXES = """
SELECT ix.indisunique AS is_unique, array_agg(a.attname ORDER BY k.n) AS columns
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE t.relname = $1 AND NOT ix.indisprimary
GROUP BY ix.indexrelid, ix.indisunique
"""


async def _indexes_in_database(table: str, sqlite: bool) -> set[tuple[tuple[str, ...], bool]]:
    conn = connections.get("default")
    if not sqlite:
        rows = await conn.execute_query_dict(_POSTGRES_INDEXES, [table])
        return {(tuple(r["columns"]), bool(r["is_unique"])) for r in rows}
    found = set()
    for index in await conn.execute_query_dict(_SQLITE_INDEX_LIST.format(table=table)):
        if index["origin"] == "pk":
            continue
        info = await conn.execute_query_dict(f'PRAGMA index_info("{index["name"]}")')
        columns = tuple(r["name"] for r in sorted(info, key=lambda r: r["seqno"]))
        found.add((columns, bool(index["unique"])))
    return found


def _indexes_in_model(model: type[Model]) -> set[tuple[tuple[str, ...], bool]]:
    meta = model._meta

    def column(name: str) -> str:
        field = meta.fields_map.get(name)
        return (field.source_field or name) if field is not None else name

    wanted = {(tuple(column(f) for f in fields), True) for fields in meta.unique_together}
    wanted |= {(tuple(column(f) for f in index.fields), False) for index in meta.indexes}
    wanted |= {
        ((column(name),), True)
        for name, field in meta.fields_map.items()
        if field.unique and not field.pk and name in meta.db_fields
    }
    return wanted


async def test_every_index_and_unique_key_of_the_models_exists_after_migrating(db: str) -> None:
    # Tortoise rebuilds a SQLite table to drop a column and the copy loses its indexes
    # (see core/migrations/0006): a migrated database must still have every one.
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        missing = _indexes_in_model(model) - await _indexes_in_database(
            table, db.startswith("sqlite")
        )
        assert not missing, f"{table} lacks {missing}"
