"""What the conversation says back: plain text plus buttons, rendered by each front-end."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Button:
    """A choice. ``value`` is what the session receives when it is pressed (or typed)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (``/export``): a Telegram document, a file in the console."""

    filename: str
    content: bytes = field(repr=False)
    mime_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message. Text is plain: each front-end escapes it for its own markup."""

    text: str
    buttons: tuple[Button, ...] = ()
    # Several choices may be picked at once (marketplaces, channels).
    multi_select: bool = False
    document: Document | None = None


def say(text: str) -> Reply:
    return Reply(text)


def ask(text: str, *choices: tuple[str, str], multi: bool = False) -> Reply:
    return Reply(text, tuple(Button(label, value) for label, value in choices), multi)
