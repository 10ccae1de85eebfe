"""Fast inserts for the hot path: thousands of matches and alerts per check on popular queries.

The ORM's bulk_create builds a model object per row, which costs more than the database
write itself at this volume (profiled: ~100 µs a row). Rows here go straight to an
``INSERT … ON CONFLICT DO NOTHING`` (the unique keys make a repeat a no-op), through the
transaction's own connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tortoise.backends.base.client import BaseDBAsyncClient

# One SQLite statement may bind at most 32,766 parameters.
MAX_PARAMETERS = 32_000


def _placeholders(conn: BaseDBAsyncClient, count: int) -> str:
    if conn.capabilities.dialect == "postgres":
        return ", ".join(f"${n}" for n in range(1, count + 1))
    return ", ".join("?" for _ in range(count))


async def insert_ignoring_duplicates(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    types: Mapping[str, str] | None = None,
) -> None:
    """``types`` (each column's Postgres type): one ``unnest`` statement on Postgres instead
    of a statement per row."""
    if types is not None and (untyped := set(columns) - set(types)):
        # Checked on every database, so a column added without its type fails on SQLite too
        # rather than only when the unnest statement first runs on Postgres.
        raise ValueError(f"insert into {table}: no Postgres type for {sorted(untyped)}")
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    if types is not None and conn.capabilities.dialect == "postgres":
        arrays = ", ".join(f"${n}::{types[c]}[]" for n, c in enumerate(columns, 1))
        sql = (
            f'INSERT INTO "{table}" ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING'
        )
        await conn.execute_query(sql, [list(column) for column in zip(*rows, strict=True)])
        return
    marks = _placeholders(conn, len(columns))
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING'
    await conn.execute_many(sql, [list(row) for row in rows])


async def insert_returning_new(
    conn: BaseDBAsyncClient,
    table: str,
    columns: Mapping[str, str],
    rows: Sequence[Sequence[object]],
    returning: Sequence[str],
) -> list[tuple[object, ...]]:
    """Insert ``rows`` (a repeat of a unique key is skipped) and return ``returning`` of each
    row this call inserted: no second query to find the new ids.

    ``columns`` maps each column to its Postgres type. Postgres gets one array per column
    through ``unnest``: one statement text whatever the row count, so asyncpg prepares it
    once (a multi-row VALUES list would be a new statement to plan every time). SQLite
    gets multi-row VALUES.
    """
    if not rows:
        return []
    names = ", ".join(f'"{c}"' for c in columns)
    wanted = ", ".join(f'"{c}"' for c in returning)
    tail = f"ON CONFLICT DO NOTHING RETURNING {wanted}"
    if conn.capabilities.dialect == "postgres":
        arrays = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(columns.values(), 1))
        sql = f'INSERT INTO "{table}" ({names}) SELECT * FROM unnest({arrays}) {tail}'
        found = await conn.execute_query_dict(
            sql, [list(column) for column in zip(*rows, strict=True)]
        )
        return [tuple(row[c] for c in returning) for row in found]
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    one_row = f"({_placeholders(conn, len(columns))})"
    inserted: list[tuple[object, ...]] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        marks = ", ".join(one_row for _ in chunk)
        sql = f'INSERT INTO "{table}" ({names}) VALUES {marks} {tail}'
        # execute_query_dict: Tortoise's Postgres execute_query drops an INSERT's rows.
        found = await conn.execute_query_dict(sql, [value for row in chunk for value in row])
        inserted.extend(tuple(row[c] for c in returning) for row in found)
    return inserted
