"""0014_billing adds NOT NULL columns to ``account``: a database with accounts in it must
migrate (the columns carry database defaults), and the accounts keep their plan."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.unit.test_fetchkey_migration import UP_TO_BEFORE, _run


async def test_a_database_with_accounts_migrates(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"sqlite://{path}"
    await _run("-c", UP_TO_BEFORE, url, "0013_currency")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO account (id, tier, timezone, email_link_version, created_at)"
            " VALUES (1, 'pro', 'UTC', 0, '2026-01-01 00:00:00+00:00')"
        )
    await _run("-m", "bot", "migrate", env={"DATABASE_URL": url})
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT tier, stripe_tier, comp_tier, cancel_at_period_end, sms_month, sms_sent"
            " FROM account"
        ).fetchall()
    assert row == [("pro", None, "pro", 0, "", 0)]  # a tier set by hand is now a comp
