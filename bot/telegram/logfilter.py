"""Keeps the bot token out of every log line (HTTP libraries log URLs that contain it)."""

from __future__ import annotations

import logging
import traceback

MASK = "<telegram-token>"


class RedactSecret(logging.Filter):
    """A handler filter that replaces ``secret`` in messages and tracebacks."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, MASK), None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info))
            if self.secret in text:
                # Formatters would print the raw traceback: fold a redacted copy in instead.
                record.msg = f"{record.getMessage()}\n{text.replace(self.secret, MASK).rstrip()}"
                record.args, record.exc_info, record.exc_text = None, None, None
        return True

    def install(self) -> None:
        for handler in logging.getLogger().handlers:
            handler.addFilter(self)
        # httpx logs every request URL at INFO, token included: keep it to warnings.
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def remove(self) -> None:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self)
