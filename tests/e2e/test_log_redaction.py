"""No secret, address, phone number or code reaches the log, even at DEBUG, in text or JSON.

The real `python -m bot run` at LOG_LEVEL=DEBUG talks to the fake Telegram, SendGrid and
Twilio with planted credentials. A user types an e-mail address and a phone number, gets codes
and types them back with /verify, has a webhook signing secret (whsec_…) sent to them, and one
send fails with an error that echoes its parameters (a traceback in the log). Then the whole
output is searched for every planted value.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, free_port
from tests.fakes.sendgrid_api import FakeSendgridApi
from tests.fakes.telegram_api import TOKEN, Failure, FakeTelegram, running_fake_telegram
from tests.fakes.twilio_api import ACCOUNT_SID, FakeTwilioApi

pytestmark = pytest.mark.slow

ANN = FakeTelegram.user(2001, "Ann", "ann")
EMAIL = "ann.planted@example.com"
PHONE = "+447400123456"
TYPED = "write to bob.planted@example.org or ring 07400 654321"
SENDGRID_KEY = "SG.plantedKeyAbc123.plantedValueXyz0123456789"
TWILIO_TOKEN = "plantedtwilio0123456789abcdef00"
WEBHOOK_SECRET = "planted-hook_Secret-42"
STRIPE_KEY = "sk_test_51PlantedStripeKey000"
STRIPE_WHSEC = "whsec_plantedStripeSigningSecret0"
EBAY_SECRET = "PRD-planted-ebay-secret-1"
DB_PASSWORD = "planted-db-pass-3"


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The run's DATABASE_URL: a file of its own on SQLite, the test database on Postgres.

    On Postgres a password is planted in the URL too (a password-less test server trusts the
    connection and ignores it).
    """
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"):
        return f"sqlite://{tmp_path}/run.sqlite3"
    url: str = request.getfixturevalue("db")
    parts = urlsplit(url)
    if parts.password is None and parts.username:
        url = parts._replace(netloc=parts.netloc.replace("@", f":{DB_PASSWORD}@", 1)).geturl()
    return url


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(listings_per_minute=1)) as url:
        yield url


def _env(
    tmp_path: Path, fake: FakeTelegram, sendgrid: str, twilio: str, fmt: str
) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite://{tmp_path}/run.sqlite3",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.url,
        "LOG_LEVEL": "DEBUG",
        "LOG_FORMAT": fmt,
        "SENDGRID_API_KEY": SENDGRID_KEY,
        "SENDGRID_API_URL": sendgrid,
        "EMAIL_FROM": "alerts@monitor.example.com",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM_NUMBER": "+447700900001",
        "TWILIO_API_URL": twilio,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": STRIPE_WHSEC,
        "EBAY_CLIENT_SECRET": EBAY_SECRET,
    }


async def _drain(process: CliProcess) -> None:
    assert process.proc and process.proc.stdout
    while chunk := await process.proc.stdout.read(65536):
        process.output += chunk.decode(errors="replace")


async def _wait_output(process: CliProcess, text: str, within: float) -> None:
    for _ in range(int(within * 10)):
        if text in process.output:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not in the output:\n{process.output[-3000:]}")


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("fmt", "mode"), [("text", "polling"), ("text", "webhook"), ("json", "webhook")]
)
async def test_debug_logs_hold_no_planted_secret(
    tmp_path: Path, database: str, sandbox_url: str, fmt: str, mode: str
) -> None:
    sendgrid = FakeSendgridApi(api_key=SENDGRID_KEY)
    twilio = FakeTwilioApi(auth_token=TWILIO_TOKEN)
    async with (
        running_fake_telegram() as fake,
        sendgrid.running(),
        twilio.running(),
    ):
        port = free_port()
        env = {**_env(database, fake, sendgrid.url, twilio.url, fmt), "WEB_PORT": str(port)}
        env["SANDBOX_URL"] = sandbox_url
        if mode == "webhook":
            env |= {
                "TELEGRAM_MODE": "webhook",
                "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "PUBLIC_URL": "https://bot.example.com:8443",
            }
            fake.webhook_origin = f"http://127.0.0.1:{port}"
        process = CliProcess("run", env=env, cwd=str(tmp_path))
        await process.start()
        drain = asyncio.create_task(_drain(process))
        try:
            await _wait_output(process, "telegram: started", within=30)
            planted = await _a_user_types_and_receives_secrets(fake, sendgrid, twilio)
            await _wait_output(process, "Traceback", within=15)  # the failed send, logged
        finally:
            drain.cancel()
            await asyncio.gather(drain, return_exceptions=True)
            code = await process.stop(signal.SIGTERM)
            await process.kill()
    output = process.output
    assert code == 0, output[-3000:]
    if fmt == "json":
        _every_log_line_is_json(output)
    _nothing_planted_in(output, planted)


async def _a_user_types_and_receives_secrets(
    fake: FakeTelegram, sendgrid: FakeSendgridApi, twilio: FakeTwilioApi
) -> list[str]:
    await fake.send_text(ANN, "/start")
    await fake.message_with(ANN["id"], "Welcome", within=15)
    await fake.send_text(ANN, f"/settings email {EMAIL}")
    await fake.message_with(ANN["id"], "6-digit code", within=15)
    email_code = re.findall(r"code is (\d{6})", json.dumps(sendgrid.accepted[-1]))[0]
    await fake.send_text(ANN, f"/verify {email_code}")
    await fake.message_with(ANN["id"], "is verified", within=15)
    await fake.send_text(ANN, f"/settings phone {PHONE}")
    await fake.wait_for(lambda: twilio.bodies_to(PHONE), within=15)
    sms_code = re.findall(r"code is (\d{6})", twilio.bodies_to(PHONE)[-1])[0]
    await fake.send_text(ANN, f"/verify {sms_code}")
    await fake.message_with(ANN["id"], "SMS alerts are ready", within=15)
    await fake.send_text(ANN, sms_code)  # a code typed on its own, as people do
    await fake.send_text(ANN, TYPED)
    # The reply with the new signing secret fails; Telegram's error repeats the request.
    fake.fail(Failure("sendMessage", 400, "Bad Request: chat not found", chat_id=ANN["id"],
                      echo_params=True))  # fmt: skip
    await fake.send_text(ANN, "/settings webhook rotate")
    await fake.wait_for(lambda: not fake.failures[-1].times, within=15)
    await fake.send_text(ANN, "/settings webhook secret")
    shown = await fake.message_with(ANN["id"], "signing secret: whsec_", within=15)
    whsec = shown.text.split("signing secret: ")[1].split()[0]
    # The failed reply (its error, and so the traceback, repeats it) held this same secret.
    assert len([c for c in fake.calls_of("sendMessage") if whsec in c.params["text"]]) == 2
    return [email_code, sms_code, whsec]


def _every_log_line_is_json(output: str) -> None:
    for line in output.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            assert {"time", "level", "logger", "message"} <= entry.keys()


def _nothing_planted_in(output: str, planted: list[str]) -> None:
    # JSON lines escape non-ASCII and quotes: search the decoded text as well as the raw one.
    decoded = output + "\n".join(
        json.dumps(json.loads(line)) for line in output.splitlines() if line.startswith("{")
    )
    values = [
        TOKEN, TOKEN.split(":")[1], SENDGRID_KEY, SENDGRID_KEY[3:], TWILIO_TOKEN, WEBHOOK_SECRET,
        STRIPE_KEY, STRIPE_WHSEC, EBAY_SECRET, DB_PASSWORD, EMAIL, "ann.planted", "bob.planted",
        PHONE, PHONE[3:], "7400 123456", "654321", *planted, planted[2][6:],
    ]  # fmt: skip
    leaked = [value for value in values if value in output or value in decoded]
    assert not leaked, f"leaked {leaked}"
    # Proof that the log did see them (masked): the DEBUG lines are there.
    assert "sendMessage" in output and "whsec_•••" in output and "/verify •••" in output
