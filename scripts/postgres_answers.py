"""Exit 0 when the Postgres server at argv[1] accepts a connection within a few seconds."""

import asyncio
import sys

import asyncpg


async def answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=3)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(answers(sys.argv[1])) else 1)
