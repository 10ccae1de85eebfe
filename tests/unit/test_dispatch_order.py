"""The order a dispatcher batch is handed to the senders in (core.dispatcher)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from core.dispatcher import _round_robin


def _alert(alert_id: int, destination: int | None) -> Any:
    search = SimpleNamespace(destination_id=destination)
    return SimpleNamespace(id=alert_id, match=SimpleNamespace(search=search))


def test_a_batch_is_spread_across_chats_one_alert_of_each_at_a_time() -> None:
    # A chat takes about one message a second: the concurrent sends must go to many chats,
    # not to the first chat's ten alerts in claim order.
    batch = [_alert(1, 7), _alert(2, 7), _alert(3, 7), _alert(4, 8), _alert(5, 8), _alert(6, 9)]
    batch.append(_alert(7, None))  # no destination (an email alert): a round of its own
    order = [a.id for a in _round_robin(batch)]
    assert order == [1, 4, 6, 7, 2, 5, 3]
