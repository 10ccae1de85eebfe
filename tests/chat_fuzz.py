"""What the chat fuzz suites type: the real command list with nasty arguments, wizard answers.

Shared by tests/unit/test_chat_fuzz.py (the console front-end) and
tests/integration/test_telegram_fuzz.py (python-telegram-bot against the fake Bot API).
CHAT_FUZZ_SCALE multiplies the number of examples (1 by default: a couple of minutes for
both suites on both databases); e.g. CHAT_FUZZ_SCALE=10 for a long run.
"""

from __future__ import annotations

import os

from hypothesis import strategies as st

from bot.telegram.handlers import COMMANDS
from scrapers.craigslist.sites import SITE_QUESTION

SCALE = max(1, int(os.environ.get("CHAT_FUZZ_SCALE", "1")))
GENERIC_ERROR = "something went wrong"


class Market:
    """A marketplace as the wizard sees it: a name and maybe its own questions."""

    def __init__(self, name: str, questions: tuple[object, ...] = ()) -> None:
        self.name = name
        self.questions = questions


# Craigslist brings its site question, so the wizard's marketplace steps are fuzzed too.
MARKETS = {"sandbox": Market("sandbox"), "craigslist": Market("craigslist", (SITE_QUESTION,))}

# Every command the session knows (the Telegram menu is a subset), and a few it does not.
SESSION_COMMANDS = (
    "start", "help", "newsearch", "templates", "searches", "pause", "resume", "delete",
    "edit", "saved", "save", "hide", "unhide", "cancel", "settings", "stats", "verify",
)  # fmt: skip
ALL_COMMANDS = tuple(
    dict.fromkeys([*SESSION_COMMANDS, *(c.command for c in COMMANDS), "upgrade", "START", ""])
)

NASTY_WORDS = (
    "", " ", "\t", "\n", "\u3000", "\x00", "²", "١٢", "٣", "𝟕", "①", "0", "-1", "+1", "#",
    "#1", "1.5", "1e3", "1e999999", "1e999999k", "1e999999999k", "k", "abck", "book", "ask",
    "NaN", "inf", "-inf", "07911123456", "2147483647", "2147483648", "9" * 30,
    "99999999999999999999999", "any", "none", "yes", "no", "confirm", "edit", "cancel", "done",
    "<b>bold</b>", "&amp;", "<a href='x'>", "'; DROP TABLE search; --", "🎉", "👨‍👩‍👧",
    "\u202e", "\u200b", "\ufeff", "\ud7ff", "every ²", "every 30 min", "100-", "-100", "100+",
    "1-2-3", "£", "€5k", "Leeds 0", "Leeds 99999999999", "Leeds ²", "SW1A 1AA", "sfbay",
    "https://sfbay.craigslist.org", "timezone", "quiet", "Europe/London", "25:61-99:99",
    "22:00-22:00", "x" * 5000, "/", "//", "/ /", "@", "/start@", "/pause@other_bot 1",
)  # fmt: skip

_DIGITY = "0123456789²³¹١٢٣٤٥٦٧٨٩٠𝟙٫.,-+#k£€ "


def _text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_WORDS),
        st.text(max_size=40),
        st.text(alphabet=_DIGITY, max_size=24),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.builds(lambda piece, n: piece * n, st.sampled_from(["x", "9", "é", "🎉", "<"]),
                  st.integers(1, 3000)),
    )  # fmt: skip


def _command() -> st.SearchStrategy[str]:
    def join(name: str, sep: str, arg: str) -> str:
        return f"/{name}{sep}{arg}"

    return st.builds(join, st.sampled_from(ALL_COMMANDS), st.sampled_from([" ", "\n", "  ", ""]),
                     _text())  # fmt: skip


def inputs(max_size: int) -> st.SearchStrategy[list[str]]:
    """``max_size`` typed lines: commands with nasty arguments, nasty text, good answers."""
    one = st.one_of(_command(), _text(), _text(), st.sampled_from(GOOD_ANSWERS))
    return st.lists(one, min_size=max_size, max_size=max_size)


# The good answers of the wizard, in order, and of the other flows: where an example starts.
WIZARD = (
    "/newsearch", "Cheap PS5", "craigslist", "ps5 OR playstation", "broken, faulty",
    "100-250", "Leeds 10", "sfbay", "USD", "used", "1800", "chat",
)  # fmt: skip
GOOD_ANSWERS = (*WIZARD[1:], "sandbox", "any", "anywhere", "confirm", "edit", "price")
STARTS: tuple[tuple[str, ...], ...] = (
    (),
    *(WIZARD[:n] for n in range(1, len(WIZARD) + 1)),  # at every wizard step and the summary
    (*WIZARD, "edit"),  # which part to change
    (*WIZARD, "edit", "Craigslist site"),
    ("/templates",),
    ("/settings",),
    ("/settings", "timezone"),
    ("/settings", "quiet"),
    ("/delete 1",),
)


def starts() -> st.SearchStrategy[tuple[str, ...]]:
    return st.sampled_from(STARTS)
