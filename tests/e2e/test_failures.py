"""A part that cannot start (or dies) stops `run` with a non-zero status and ONE line naming it.

systemd's and Docker's restart policies only fire on a non-zero exit; an operator reads the one
line, not a 90-line traceback. Each case runs the real command as a child process.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, free_port
from tests.fakes.telegram_api import TOKEN, Failure, running_fake_telegram

pytestmark = pytest.mark.slow

DB_PASSWORD = "planted-db-pass-77"


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(listings_per_minute=1)) as url:
        yield url


async def _run_until_exit(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    base = {"DATABASE_URL": f"sqlite://{tmp_path}/run.sqlite3", "WEB_PORT": str(free_port())}
    process = CliProcess(*(args or ("run",)), env={**base, **env}, cwd=str(tmp_path))
    await process.start()
    try:
        code = await process.wait(within=40)
    finally:
        await process.kill()
    print(process.output)  # shown when the test fails
    return code, process.output


def _the_one_line(output: str, *words: str) -> str:
    """The failure line: the output's last line, the only one with ``words``; no traceback."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert "Traceback" not in output
    assert "Stopped cleanly." not in output
    matching = [line for line in lines if all(word in line for word in words)]
    assert len(matching) == 1, lines
    assert lines[-1] == matching[0]
    return matching[0]


@pytest.mark.timeout(60)
async def test_bad_settings_are_one_line_naming_each(tmp_path: Path) -> None:
    code, output = await _run_until_exit(tmp_path, {"WEB_PORT": "eighty", "LOG_LEVEL": "LOUD"})
    assert code == 2
    assert output.count("\n") == 1
    assert (
        output.startswith("WEB_PORT: Input should be a valid integer") and "; LOG_LEVEL: " in output
    )


# --- the web server ---------------------------------------------------------------------------


@pytest.mark.timeout(60)
async def test_a_web_port_in_use_exits_1_naming_web_port(tmp_path: Path, sandbox_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, output = await _run_until_exit(
            tmp_path, {"WEB_PORT": port, "SANDBOX_URL": sandbox_url}
        )
    assert code == 1
    line = _the_one_line(output, "WEB_PORT")
    assert line.startswith("web: ") and f"port {port}" in line and "in use" in line


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("host", "why"),
    [("no-such-host.invalid", "not an address or a name"), ("192.0.2.1", "not an address of")],
)
async def test_an_unusable_web_host_exits_1_naming_web_host(
    tmp_path: Path, host: str, why: str
) -> None:
    code, output = await _run_until_exit(tmp_path, {"WEB_HOST": host})
    assert code == 1
    line = _the_one_line(output, "WEB_HOST")
    assert line.startswith("web: ") and host in line and why in line


# --- Telegram webhook mode ------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "public_url",
    ["http://bot.example.com", "https://bot.example.com:8080", "http://127.0.0.1:8443"],
)
async def test_webhook_mode_needs_an_https_public_url_on_a_telegram_port(
    tmp_path: Path, public_url: str
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": "secret_1",
        "PUBLIC_URL": public_url,
    }
    code, output = await _run_until_exit(tmp_path, env)
    assert code == 2
    line = _the_one_line(output, "PUBLIC_URL")
    assert "https://" in line and "443, 80, 88 or 8443" in line


@pytest.mark.timeout(60)
async def test_a_refused_set_webhook_exits_1_naming_telegram(tmp_path: Path) -> None:
    async with running_fake_telegram() as fake:
        fake.fail(Failure("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host"))
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake.url,
            "TELEGRAM_MODE": "webhook",
            "TELEGRAM_WEBHOOK_SECRET": "secret_1",
            "PUBLIC_URL": "https://bot.example.com:8443",
        }
        code, output = await _run_until_exit(tmp_path, env)
    assert code == 1
    line = _the_one_line(output, "to resolve host")
    assert line.startswith("telegram: ")


@pytest.mark.timeout(60)
async def test_a_refused_bot_token_exits_2_naming_the_setting(tmp_path: Path) -> None:
    wrong = "987654321:AAE-not-the-token-telegram-knows_0123"
    async with running_fake_telegram() as fake:
        env = {"TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_URL": fake.url}
        code, output = await _run_until_exit(tmp_path, env)
    assert code == 2
    line = _the_one_line(output, "TELEGRAM_BOT_TOKEN")
    assert "refused this token" in line
    assert wrong.split(":")[1] not in output


# --- the database ---------------------------------------------------------------------------


def _postgres_server() -> str:
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs a Postgres server (TEST_DATABASE_URL)")
    return server


def _with(server: str, *, user: str | None = None, database: str | None = None) -> str:
    parts = urlsplit(server)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{user or parts.username or 'postgres'}:{DB_PASSWORD}@{host}"
    return parts._replace(netloc=netloc, path=f"/{database or parts.path.lstrip('/')}").geturl()


def _database_cases() -> list[tuple[str, str]]:
    port = free_port()  # nothing listens there
    return [
        (f"postgres://monitor:{DB_PASSWORD}@127.0.0.1:{port}/monitor", "connection refused"),
        (f"postgres://monitor:{DB_PASSWORD}@no-such-db-host.invalid:5432/x", "unknown host"),
    ]


async def _expect_database_line(tmp_path: Path, url: str, why: str, *args: str) -> None:
    code, output = await _run_until_exit(tmp_path, {"DATABASE_URL": url}, *args)
    assert code == 2
    assert DB_PASSWORD not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("DATABASE_URL: ") and why in lines[0]
    assert ":•••@" in lines[0]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", range(2))
async def test_an_unreachable_database_is_one_line_naming_database_url(
    tmp_path: Path, case: int
) -> None:
    url, why = _database_cases()[case]
    await _expect_database_line(tmp_path, url, why)


@pytest.mark.timeout(60)
async def test_bad_database_credentials_are_one_line(tmp_path: Path) -> None:
    url = _with(_postgres_server(), user="mm_no_such_role")
    await _expect_database_line(tmp_path, url, 'role "mm_no_such_role" does not exist')


@pytest.mark.timeout(60)
async def test_a_missing_database_is_one_line(tmp_path: Path) -> None:
    url = _with(_postgres_server(), database="mm_no_such_database")
    await _expect_database_line(tmp_path, url, "does not exist", "migrate")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", ["run", "migrate"])
async def test_an_unusable_sqlite_path_is_one_line(tmp_path: Path, command: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-folder.sqlite3").mkdir()
    for path in (tmp_path / "a-file" / "db.sqlite3", tmp_path / "a-folder.sqlite3"):
        code, output = await _run_until_exit(
            tmp_path, {"DATABASE_URL": f"sqlite://{path}"}, command
        )
        assert code == 2
        line = _the_one_line(output, "DATABASE_URL")
        assert line.startswith(f"DATABASE_URL: cannot use the SQLite file {path}")
