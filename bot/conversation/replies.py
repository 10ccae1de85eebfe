"""What the conversation says back: text in a small neutral markup plus buttons, rendered by
each front-end (Telegram HTML, Discord embeds, numbered console choices).

The types a front-end renders:

- ``Reply``: one message. ``text`` is its plain text; ``rich`` (when given) the same text as
  spans: ``str`` (outside text, which every front-end escapes), ``Bold`` and ``Link``.
- ``Button``: a label and either an ``Action`` (bot.conversation.actions: a kind + ids; the
  front-end encodes it into its callback data and decodes a press back into it) or a ``url``.
  ``row`` groups buttons side by side; ``None`` puts each on its own row.

A question (``ask``) also carries ``options``: what each of its ``CHOOSE`` buttons stands
for. Options stay in bot/conversation (a press carries only the option's index and the
question's reference); front-ends never read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.conversation.actions import Act, Action


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
    """A choice: pressing it does ``action``; a button with a ``url`` opens a link instead
    (a deep link into a private chat)."""

    label: str
    action: Action | None = None
    row: int | None = None  # buttons with the same row sit together; None: a row of its own
    url: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer a question offers: its button's label and what choosing it means to the
    flow that asked (a marketplace name, a number of seconds, a Channel, a section's key…).
    Typing the label is the same as pressing the button."""

    label: str
    value: Any


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
    # A question's answers, by index of its CHOOSE buttons (conversation-internal).
    options: tuple[Option, ...] = field(default=(), compare=False)
    # Remove the message this long after it is shown (a secret shown once: /token create).
    # Telegram deletes it; a front-end that cannot delete shows it as it is.
    delete_after_seconds: float | None = None
    # A picture sent with the text as its caption (/prices: a PNG chart); a front-end that
    # cannot send pictures shows the text and says where the file is.
    image: Document | None = None


def say(text: str) -> Reply:
    return Reply(text)


def ask(text: str | list[Span], *choices: Option | tuple[str, Any], multi: bool = False) -> Reply:
    """A question: ``text`` and one CHOOSE button per choice (a Done button when several may
    be picked). The session stamps the buttons with the question's reference when it asks."""
    options = tuple(c if isinstance(c, Option) else Option(*c) for c in choices)
    rich = tuple(text) if isinstance(text, list) else ()
    return Reply(
        plain(rich) if rich else str(text),
        choice_buttons(options, "", multi, frozenset()),
        multi,
        rich=rich,
        options=options,
    )


def choice_buttons(
    options: tuple[Option, ...], ref: str, multi: bool, ticked: frozenset[int]
) -> tuple[Button, ...]:
    """A question's buttons: short labels side by side, long ones alone; ✅ on what is ticked."""
    widest = max((len(o.label) for o in options), default=0)
    per_row = 3 if widest <= 12 else 2 if widest <= 22 else 1
    buttons = [
        Button(
            ("✅ " if i in ticked else "") + option.label,
            Action(Act.CHOOSE, i, ref),
            row=i // per_row,
        )
        for i, option in enumerate(options)
    ]
    if multi and options:
        buttons.append(Button("Done ✔", Action(Act.CHOICES_DONE, 0, ref), row=len(options)))
    return tuple(buttons)


def screen(spans: list[Span], buttons: list[Button]) -> Reply:
    """A screen: marked-up text and action buttons."""
    rich = tuple(spans)
    return Reply(plain(rich), tuple(buttons), rich=rich)


def with_problem(problem: str, question: Reply) -> Reply:
    """``question`` asked again after an answer it could not use, saying why first."""
    rich = (f"{problem}\n\n", *question.rich) if question.rich else ()
    return Reply(
        f"{problem}\n\n{question.text}",
        question.buttons,
        question.multi_select,
        rich=rich,
        options=question.options,
    )
