"""The one log filter: each pattern, configured secrets, %-arguments, tracebacks, JSON lines."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator

import phonenumbers
import pytest
from pydantic import SecretStr

from bot.app import log_secrets
from bot.logs import JsonFormatter, configure_logging
from bot.redaction import RedactingFilter, Redactor
from bot.settings import Settings
from core.db import masked_url

TOKEN = "123456789:AAE-fake-token-for-tests_0123456789"
WHSEC = "whsec_Q2hhbmdlIHRoaXMgc2VjcmV0IGZvciB0ZXN0cw-_x"
SECRETS = {
    "TELEGRAM_BOT_TOKEN": TOKEN,
    "TELEGRAM_WEBHOOK_SECRET": "hook-Secret_42",
    "TWILIO_AUTH_TOKEN": "twilio0123456789abcdef",
    "EBAY_CLIENT_SECRET": "PRD-ebay-secret-99",
    "METRICS_TOKEN": "metrics'tok\"en/1",
}


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(SECRETS)


@pytest.mark.parametrize(
    ("text", "planted"),
    [
        (f"POST http://127.0.0.1:9/bot{TOKEN}/getMe", TOKEN.split(":")[1]),
        ("url /bot987654321:ZZZ-another_token_not_configured_000/x", "ZZZ-another_token"),
        ("url /bot987654321%3AZZZ-another_token_not_configured_000/x", "ZZZ-another_token"),
        ("{'secret_token': 'hook-Secret_42'}", "hook-Secret_42"),
        ("key sk_live_51HxAbCdEfGh0123", "51HxAbCdEfGh0123"),
        ("key sk_test_51HxAbCdEfGh0123", "51HxAbCdEfGh0123"),
        ("key rk_live_51HxAbCdEfGh0123", "51HxAbCdEfGh0123"),
        (f"text: 'Your secret: {WHSEC}'", WHSEC[6:]),
        ("Authorization: Bearer SG.abcdefghij_klm.nopqrstuvwxyz0123456789", "abcdefghij"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "eyJhbGciOiJIUzI1NiJ9"),
        ("{'Authorization': 'Basic QUM6c2VjcmV0'}", "QUM6c2VjcmV0"),
        ("postgres://monitor:hunter2pw@db.example.com:5432/monitor", "hunter2pw"),
        ("smtp://mailer:s3cr3t-pass@smtp.example.com:587", "s3cr3t-pass"),
        ("client_secret=abcdef123456&grant_type=client_credentials", "abcdef123456"),
        ("twilio token twilio0123456789abcdef", "twilio0123456789abcdef"),
        ("ebay PRD-ebay-secret-99", "PRD-ebay-secret-99"),
        ("quoted 'metrics\\'tok\"en/1'", "tok"),
        ("encoded metrics%27tok%22en%2F1", "tok%22en"),
    ],
)
def test_credentials_are_masked(redactor: Redactor, text: str, planted: str) -> None:
    assert planted not in redactor.redact(text)


def test_a_configured_secret_is_named_by_its_setting(redactor: Redactor) -> None:
    assert "<TELEGRAM_WEBHOOK_SECRET>" in redactor.redact("secret_token='hook-Secret_42'")


@pytest.mark.parametrize(
    ("text", "planted"),
    [
        ("{'text': '/verify 123456'}", "123456"),
        ('{"text": "/verify@market_bot 12 34 56"}', "12 34 56"),
        ("text='/verify 0042'", "0042"),
        ("{'text': '654321'}", "654321"),
        ("text='123 456'", "123 456"),
        ("{'code': '987654'}", "987654"),
        ("code=987654", "987654"),
        ("Your Marketplace Monitor code is 246810. It expires", "246810"),
        ("Subject: 135791 is your Marketplace Monitor code", "135791"),
    ],
)
def test_verification_codes_are_masked(redactor: Redactor, text: str, planted: str) -> None:
    assert planted not in redactor.redact(text)


@pytest.mark.parametrize(
    ("text", "planted", "shown"),
    [
        ("text='ann.lee+alerts@example.co.uk'", "ann.lee+alerts", "a•••@example.co.uk"),
        ("to ann%40example.com", "ann%40", "a•••@example.com"),
        ("{'email': 'zoë@exämple.de'}", "zoë", "@exämple.de"),
        ("{'phone_number': '+447911123456'}", "7911123456", "+44•••••••456"),
        ("text='+44 7911 123456'", "7911 123456", "text='•••'"),
        ("call 07911 123456 now", "07911 123456", "079•••••456"),
        ("call (020) 7946 0958", "7946 0958", None),
        ("call +1 (555) 123-4567", "123-4567", None),
        ("call (555) 123-4567", "123-4567", None),
        ("call 555.123.4567", "555.123.4567", None),
        ("call 0044 7911 123456", "7911 123456", None),
        ("text='447911123456'", "447911123456", None),
    ],
)
def test_addresses_and_phone_numbers_are_masked(
    redactor: Redactor, text: str, planted: str, shown: str | None
) -> None:
    out = redactor.redact(text)
    assert planted not in out
    if shown:
        assert shown in out


@pytest.mark.parametrize("region", sorted(phonenumbers.SUPPORTED_REGIONS))
def test_every_countrys_mobile_number_in_international_form_is_masked(region: str) -> None:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return
    national = str(number.national_number)
    for style in (
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    ):
        text = phonenumbers.format_number(number, style)
        out = Redactor().redact(f"{{'text': 'my number is {text}'}}")
        assert national not in "".join(c for c in out if c.isdigit()), (text, out)


@pytest.mark.parametrize(
    "text",
    [
        "update 123456789 from user 7911123456 in chat -1001234567890",
        "2026-11-30 00:51:15,123 INFO x: took 1500 ms, 42 listings, £150000.00",
        "status code 200; date 1764464400; ip 127.0.0.1:54321; id 123e4567-e89b-12d3-a456-4266",
        "postgres://postgres@127.0.0.1:5432/test",
        "Type /verify followed by the code you received, like this.",
    ],
)
def test_ordinary_numbers_and_urls_are_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


def test_redacting_twice_changes_nothing(redactor: Redactor) -> None:
    text = f"{TOKEN} ann@example.com +447911123456 /verify 123456 {WHSEC} hook-Secret_42"
    once = redactor.redact(text)
    assert redactor.redact(once) == once


# --- the filter on real log records -----------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(Redactor(SECRETS)))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream, handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_percent_arguments_are_redacted_after_formatting(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    params = {"chat_id": 1, "text": f"secret {WHSEC}", "secret_token": "hook-Secret_42"}
    logger.debug("Calling `sendMessage` with `%s` for %s", params, "ann@example.com")
    out = stream.getvalue()
    assert WHSEC not in out and "hook-Secret_42" not in out and "ann@" not in out
    assert "sendMessage" in out


def test_tracebacks_are_redacted(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    try:
        raise ValueError(
            f"Bad Request: {{'text': '/verify 123456', 'to': '+447911123456'}} {TOKEN}"
        )
    except ValueError:
        logger.exception("update failed")
    out = stream.getvalue()
    assert "Traceback" in out and "ValueError" in out
    for planted in ("123456", "7911123456", TOKEN, TOKEN.split(":")[1]):
        assert planted not in out


def test_chained_exceptions_and_stack_info_are_redacted(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    try:
        try:
            raise KeyError("ann@example.com")
        except KeyError as exc:
            raise RuntimeError("while sending /verify 777777") from exc
    except RuntimeError:
        logger.exception("failed", stack_info=True)
    out = stream.getvalue()
    assert "direct cause" in out and "Stack (most recent call last)" in out
    assert "ann@example.com" not in out and "777777" not in out


def test_bad_arguments_are_still_redacted(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, _ = captured
    logger.info("two %s %s but one", f"Bearer {TOKEN}")
    out = stream.getvalue()
    assert "unformattable" in out and TOKEN.split(":")[1] not in out


def test_json_lines_hold_the_redacted_message_and_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(Redactor(SECRETS)))
    record = logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, "got %r", (WHSEC,), None)
    try:
        raise OSError("to ann@example.com with hook-Secret_42")
    except OSError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    handler.handle(record)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "got 'whsec_•••'"
    assert "OSError: to a•••@example.com with <TELEGRAM_WEBHOOK_SECRET>" in entry["exception"]


def test_configure_logging_filters_every_library_through_the_root_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("DEBUG", "text", Redactor(SECRETS))
        for name in ("telegram.ext.Application", "httpx", "aiohttp.client", "twilio.http_client"):
            logging.getLogger(name).debug("POST /bot%s/sendMessage text=%s", TOKEN, WHSEC)
        logging.getLogger("python_http_client.client").debug(
            "HEADERS: {'Authorization': 'Bearer SG.abcdefghij_klm.nopqrstuvwxyz0123'}"
        )
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        logging.captureWarnings(False)
        if logging.lastResort is not None:
            logging.lastResort.filters.clear()
    err = capsys.readouterr().err
    assert err.count("<TELEGRAM_BOT_TOKEN>") == 4
    assert TOKEN.split(":")[1] not in err and WHSEC not in err and "abcdefghij" not in err


def test_every_secret_setting_and_url_password_is_in_the_list() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgres://monitor:db-pass-123@db:5432/monitor",
        telegram_bot_token=SecretStr(TOKEN),
        telegram_webhook_secret=SecretStr("hook-Secret_42"),
        stripe_secret_key=SecretStr("sk_live_abc123456789"),
        stripe_webhook_secret=SecretStr(WHSEC),
        sendgrid_api_key=SecretStr("SG.key.value"),
        smtp_url=SecretStr("smtp://u:smtp-pass-9@mail:587"),
        twilio_auth_token=SecretStr("twilio0123456789abcdef"),
        ebay_client_secret=SecretStr("PRD-ebay-secret-99"),
    )
    values = set(log_secrets(settings).values())
    assert {
        TOKEN,
        TOKEN.split(":")[1],
        "hook-Secret_42",
        "sk_live_abc123456789",
        WHSEC,
        "SG.key.value",
        "smtp://u:smtp-pass-9@mail:587",
        "smtp-pass-9",
        "db-pass-123",
        "twilio0123456789abcdef",
        "PRD-ebay-secret-99",
    } <= values


@pytest.mark.parametrize(
    "chunk", ["a", "a.", "1", "1 ", "a%", "+1", "ab-", "x://a:", "/verify a", "code 1", "a@b"]
)
def test_long_lines_take_linear_time(chunk: str) -> None:
    # A 100 kB log line (a big update, a base64 blob) must not stall logging: no pattern may
    # try a match from every position of a long run (that is quadratic: minutes, not ms).
    text = chunk * (100_000 // len(chunk))
    started = time.perf_counter()
    Redactor(SECRETS).redact(text)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://monitor:hunter2@db:5432/m", "postgres://monitor:•••@db:5432/m"),
        ("postgres://monitor:p@ss@db/m", "postgres://monitor:•••@db/m"),
        ("postgres://monitor@db/m", "postgres://monitor@db/m"),
        ("sqlite://data/monitor.sqlite3", "sqlite://data/monitor.sqlite3"),
    ],
)
def test_database_urls_in_messages_have_their_password_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown
