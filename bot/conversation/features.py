"""Feature modules that plug commands and button kinds into the conversation.

Each module listed here registers what it adds when imported (see
bot.conversation.registry); importing the package imports them all, so every front-end
sees the same commands and buttons without naming them. Add yours to the import below.
"""

from __future__ import annotations

# /plan and /upgrade (paid plans); /block, /blocked, /unblock (sellers); /token (the API);
# /adopt (shared chats' searches whose creator left); /prices and the Not a deal button
from bot.conversation import adopt, plan, prices, sellers, tokens  # noqa: F401
