"""Discord rendering: custom_ids (ours, parsed once, forged ones refused), component
layout within Discord's limits (checked by the fake's own validator), text escaping."""

from __future__ import annotations

import re

import pytest

from bot.conversation.actions import QUESTION_ACTS, Act, Action
from bot.conversation.replies import Bold, Button, Link, Reply, ask, choice_buttons, screen
from bot.discord.client import commands_hash
from bot.discord.render import (
    CONTENT_LIMIT,
    action_custom_id,
    alert_components,
    components,
    fit,
    parse_custom_id,
    reply_text,
)
from core.enums import MatchStatus
from tests.fakes.discord_api import ApiError, validate_components, validate_message


def _every_action(number: int) -> list[Action]:
    return [Action(a, number, "zz99abcd" if a in QUESTION_ACTS else "") for a in Act]


def test_actions_round_trip_through_custom_ids() -> None:
    for action in _every_action(2_000_000_000):
        custom_id = action_custom_id(action)
        assert custom_id.startswith("mm:") and len(custom_id) <= 100
        assert parse_custom_id(custom_id) == action


def test_alert_custom_ids_stay_as_old_alerts_have_them() -> None:
    assert action_custom_id(Action(Act.SAVE, 77)) == "mm:a:77:s"
    assert action_custom_id(Action(Act.HIDE, 77)) == "mm:a:77:h"


@pytest.mark.parametrize(
    "forged",
    [
        None, "", "s:1:p", "xx:s:1:p", "mm:", "mm:s:1", "mm:s:-1:p", "mm:s:1:z", "mm:q:1:p",
        "mm:s:99999999999999999999:p", "mm:c:abcd1234:1", "mm:c:abcd1234:s", "mm:q:1:c",
        "mm:q:1:d", "mm:s:1:p:abcd", "mm:q:1:c:ABCD", "mm:q:1:c:abcdefghi",
        "mm:a:1:s " + "x" * 100, "mm:s:1:p\n",
    ],
)  # fmt: skip
def test_anything_else_is_not_ours(forged: str | None) -> None:
    assert parse_custom_id(forged) is None


def _valid(rows: list[dict[str, object]]) -> None:
    validate_components(rows)  # type: ignore[arg-type]


def test_many_buttons_are_laid_out_within_five_rows_of_five() -> None:
    options = tuple(ask("Pick", *((f"Choice {i} " + "x" * 90, i) for i in range(40))).options)
    reply = Reply("Pick", choice_buttons(options, "abcd1234", False, frozenset()))
    rows = components(reply)
    _valid(rows)
    assert len(rows) == 5 and all(len(r["components"]) == 5 for r in rows)  # type: ignore[arg-type]
    labels = [c["label"] for r in rows for c in r["components"]]  # type: ignore[attr-defined]
    assert all(len(label) <= 80 for label in labels)
    first = rows[0]["components"][0]  # type: ignore[index]
    assert first["custom_id"] == "mm:q:0:c:abcd1234" and first["style"] == 1


def test_rows_group_buttons_and_actions_carry_their_action() -> None:
    buttons = [
        Button("⏸ Pause", action=Action(Act.PAUSE, 3), row=0),
        Button("✏ Edit", action=Action(Act.EDIT, 3), row=0),
        Button("🗑 Delete", action=Action(Act.DELETE, 3), row=1),
        Button("Open", url="https://example.com/x"),
        Button("Bad link", url="javascript:alert(1)"),
    ]
    rows = components(screen(["x"], buttons))
    _valid(rows)
    first, second = rows[0]["components"], rows[1]["components"]  # type: ignore[index]
    assert [c["custom_id"] for c in first] == ["mm:s:3:p", "mm:s:3:e"]  # type: ignore[index]
    assert second[0]["custom_id"] == "mm:s:3:d"  # type: ignore[index]
    links = [c for r in rows for c in r["components"] if c.get("style") == 5]  # type: ignore[attr-defined]
    assert [c["url"] for c in links] == ["https://example.com/x"]


def test_a_multi_choice_question_is_one_select_named_by_its_done_action() -> None:
    asked = ask("Which?", *((f"M{i}", f"m{i}") for i in range(30)), multi=True)
    reply = Reply("Which?", choice_buttons(asked.options, "abcd1234", True, frozenset()), True)
    rows = components(reply)
    _valid(rows)
    assert len(rows) == 1
    select = rows[0]["components"][0]  # type: ignore[index]
    assert select["type"] == 3 and select["custom_id"] == "mm:q:0:d:abcd1234"
    assert parse_custom_id(select["custom_id"]) == Action(Act.CHOICES_DONE, 0, "abcd1234")
    assert [o["value"] for o in select["options"]] == [str(i) for i in range(25)]
    assert select["options"][3]["label"] == "M3"


def test_alert_buttons_follow_the_match_status() -> None:
    saved = alert_components(5, "https://e.com/1", MatchStatus.SAVED)
    _valid(saved)
    ids = [c.get("custom_id") for c in saved[0]["components"]]
    assert ids == [None, "mm:a:5:u", "mm:a:5:h"]
    hidden = alert_components(5, "ftp://e.com/1", MatchStatus.HIDDEN)
    assert [c.get("custom_id") for c in hidden[0]["components"]] == ["mm:a:5:s", "mm:a:5:n"]


def test_text_is_escaped_and_cut_to_discords_limit() -> None:
    text = reply_text(Reply("@everyone *hi* <@123456789012345678> " + "y" * 5000))
    assert len(text) == CONTENT_LIMIT and text.endswith("…")
    assert text.startswith("@\u200beveryone \\*hi\\* <@\u200b123456789012345678>")
    validate_message({"content": text})
    rich = reply_text(screen([Bold("B*"), " ", Link("a]b", "https://x.y/(1)")], []))
    assert rich == "**B\\***  [a\\]b](<https://x.y/(1)>)".replace("  ", " ")
    assert not fit("a" * 10 + "*", 11).endswith("\\…")


def test_the_fake_refuses_what_discord_refuses() -> None:
    with pytest.raises(ApiError) as caught:
        validate_message({"content": "x" * 2001})
    assert caught.value.code == 50035 and "content" in caught.value.errors  # type: ignore[operator]
    with pytest.raises(ApiError):
        validate_message({"embeds": [{"title": "t"}] * 11})
    with pytest.raises(ApiError):
        validate_message({"components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "x", "custom_id": "c" * 101}]}]})  # fmt: skip
    with pytest.raises(ApiError) as empty:
        validate_message({"content": ""})
    assert empty.value.code == 50006


def test_the_commands_hash_ignores_ids_and_sees_changes() -> None:
    ours = [{"name": "help", "description": "What I can do", "options": [], "type": 1}]
    theirs = [{**ours[0], "id": "1", "version": "2", "application_id": "3", "nsfw": False}]
    assert commands_hash(ours) == commands_hash(theirs)
    changed = [{**ours[0], "description": "Help"}]
    assert commands_hash(ours) != commands_hash(changed)


def test_every_custom_id_we_make_goes_to_exactly_one_dynamic_item() -> None:
    from bot.discord.client import ALERT_TEMPLATE, SCREEN_TEMPLATE, SELECT_TEMPLATE

    made = [action_custom_id(a) for n in (0, 123456) for a in _every_action(n)]
    # An old menu's (the retired mm:c:<token>:<n>) and forged ones are still routed, to be
    # answered "no longer works" rather than left to fail in the user's client.
    made += ["mm:c:abcd1234:7", "mm:c:abcd1234:s", "mm:a:1:x", "mm:q:1:d:abcd12345"]
    templates = [re.compile(t) for t in (SCREEN_TEMPLATE, SELECT_TEMPLATE, ALERT_TEMPLATE)]
    for custom_id in made:
        assert sum(bool(t.fullmatch(custom_id)) for t in templates) == 1, custom_id
    select = re.compile(SELECT_TEMPLATE)
    assert select.fullmatch(action_custom_id(Action(Act.CHOICES_DONE, 0, "abcd1234")))
    alert = re.compile(ALERT_TEMPLATE)
    assert all(alert.fullmatch(f"mm:a:5:{verb}") for verb in "suhn")
    assert not re.compile(SCREEN_TEMPLATE).fullmatch("other:s:1:p")


def test_a_burst_naming_a_match_twice_is_still_a_message_discord_takes() -> None:
    """A new-listing and a price-drop alert of one match due together: its buttons once
    (Discord refuses repeated custom_ids, 50035, which would fail the whole burst)."""
    from bot.discord.render import burst_components, burst_matches
    from core.enums import MatchStatus
    from tests.fakes.discord_api import validate_components

    rows = burst_components([(7, MatchStatus.NEW), (8, MatchStatus.SAVED), (7, MatchStatus.NEW)])
    validate_components(rows)
    ids = [b["custom_id"] for row in rows for b in row["components"]]
    assert ids == ["mm:a:7:s", "mm:a:7:h", "mm:a:8:u", "mm:a:8:h"]
    assert burst_matches([*ids, "mm:s:3:p", "other"]) == [7, 8]
