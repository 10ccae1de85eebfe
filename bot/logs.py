"""Logging set-up: text for people, JSON lines for log collectors, one redacting filter."""

from __future__ import annotations

import json
import logging
import sys

from bot.redaction import RedactingFilter, Redactor


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # The redacting filter leaves the traceback as exc_text (redacted), exc_info cleared.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


# Chatty at INFO (a line per HTTP request, every long poll): kept to warnings unless DEBUG.
_NOISY = ("aiohttp.access", "httpx", "httpcore")
# SQL and its parameters: too much to mask reliably (any column), so never below WARNING.
_SQL = ("tortoise", "aiosqlite", "asyncpg")


def configure_logging(level: str, fmt: str, redactor: Redactor | None = None) -> RedactingFilter:
    """Root handler on stderr with the redacting filter; call before anything logs.

    Every record reaches the root handler (libraries only add loggers), so the filter sees all
    of them; warnings.warn() is routed through logging to pass it too.
    """
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redacting = RedactingFilter(redactor or Redactor())
    handler.addFilter(redacting)
    last_resort = logging.lastResort  # writes for loggers that do not propagate
    if last_resort is not None:
        for old in [f for f in last_resort.filters if isinstance(f, RedactingFilter)]:
            last_resort.removeFilter(old)
        last_resort.addFilter(redacting)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    for name in _SQL:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return redacting
