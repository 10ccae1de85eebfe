"""The platform-neutral conversation: commands, the /newsearch wizard and their texts.

The console, Telegram and Discord front-ends all drive ``ChatSession`` and render its
``Reply`` objects in their own way.
"""

from bot.conversation import features as _features  # noqa: F401  (registers feature modules)
from bot.conversation.answers import BadAnswer
from bot.conversation.render import alert_lines, listing_lines, search_line
from bot.conversation.replies import Bold, Button, Document, Link, Option, Reply
from bot.conversation.session import ChatServices, ChatSession, SearchRights
from bot.conversation.settings import DEFAULT_SECTIONS, Question, SettingsSection
from bot.conversation.verification import channel_sections, with_verification
from bot.conversation.wizard import Wizard, WizardResult

__all__ = [
    "DEFAULT_SECTIONS",
    "BadAnswer",
    "Bold",
    "Button",
    "ChatServices",
    "ChatSession",
    "Document",
    "Link",
    "Option",
    "Question",
    "Reply",
    "SearchRights",
    "SettingsSection",
    "Wizard",
    "WizardResult",
    "alert_lines",
    "channel_sections",
    "listing_lines",
    "search_line",
    "with_verification",
]
