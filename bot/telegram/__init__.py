"""Telegram: the whole product in a Telegram chat, through python-telegram-bot.

``TelegramFrontend`` runs the bot (polling or webhook) in the process's event loop and
delivers alerts through ``TelegramNotifier``; bot/app.py builds it when a token is set.
"""

from bot.telegram.frontend import TelegramConfig, TelegramFrontend, build_application
from bot.telegram.handlers import COMMANDS, TelegramHandlers
from bot.telegram.notifier import TelegramNotifier
from bot.telegram.ratelimit import RateLimits, TelegramRateLimiter, WaitLimit
from bot.telegram.rights import ChatRights

__all__ = [
    "COMMANDS",
    "ChatRights",
    "RateLimits",
    "TelegramConfig",
    "TelegramFrontend",
    "TelegramHandlers",
    "TelegramNotifier",
    "TelegramRateLimiter",
    "WaitLimit",
    "build_application",
]
