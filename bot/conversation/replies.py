"""What the conversation says back: text in a small neutral markup plus buttons, rendered by
each front-end (Telegram HTML, Discord markdown, numbered console choices)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.conversation.actions import Action


@dataclass(frozen=True, slots=True)
class Bold:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str
    bold: bool = False


# A piece of text: plain (escaped by each front-end), bold, or a link.
Span = str | Bold | Link


def plain(spans: tuple[Span, ...]) -> str:
    """The visible text of ``spans`` (what a plain-text front-end shows)."""
    return "".join(s if isinstance(s, str) else s.text for s in spans)


@dataclass(frozen=True, slots=True)
class Button:
    """A choice. ``value`` is what the session receives when it is pressed (or typed);
    a button with an ``action`` does that action instead (see bot.conversation.actions)."""

    label: str
    value: str = ""
    action: Action | None = None
    row: int | None = None  # buttons with the same row sit together; None: laid out freely
    url: str = ""  # opens a link instead (a deep link into a private chat)


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (``/export``): a Telegram document, a file in the console."""

    filename: str
    content: bytes = field(repr=False)
    mime_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message. ``text`` is plain; ``rich``, when given, is the same text with markup."""

    text: str
    buttons: tuple[Button, ...] = ()
    # Several choices may be picked at once (marketplaces, channels).
    multi_select: bool = False
    document: Document | None = None
    rich: tuple[Span, ...] = ()
    # Remove the message this long after it is shown (a secret shown once: /token create).
    # Telegram deletes it; a front-end that cannot delete shows it as it is.
    delete_after_seconds: float | None = None


def say(text: str) -> Reply:
    return Reply(text)


def ask(text: str, *choices: tuple[str, str], multi: bool = False) -> Reply:
    return Reply(text, tuple(Button(label, value) for label, value in choices), multi)


def screen(spans: list[Span], buttons: list[Button]) -> Reply:
    """A screen: marked-up text and action buttons."""
    rich = tuple(spans)
    return Reply(plain(rich), tuple(buttons), rich=rich)
