"""The inbox workers now serve every chat front-end: see bot/inbox_workers.py."""

from bot.inbox_workers import Handle, InboxWorkers, WorkerOptions

__all__ = ["Handle", "InboxWorkers", "WorkerOptions"]
