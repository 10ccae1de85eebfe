"""The documented signature-checking snippet (docs/alerts.md) accepts our deliveries only."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from notifiers.webhook import sign

ALERTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"


def _snippet() -> Callable[..., bool]:
    found = re.search(
        r"```python\n(import hashlib\n.*?def is_genuine.*?)```", ALERTS_DOC.read_text(), re.S
    )
    assert found, "docs/alerts.md lost its webhook verification snippet"
    namespace: dict[str, Any] = {}
    exec(found.group(1), namespace)
    check: Callable[..., bool] = namespace["is_genuine"]
    return check


def test_the_readme_snippet_verifies_a_real_signature() -> None:
    is_genuine = _snippet()
    body, now = b'{"schema":"marketplace-monitor.alert","version":1}', int(time.time())
    headers = {"X-Monitor-Timestamp": str(now), "X-Monitor-Signature": sign("whsec_a", now, body)}
    assert is_genuine("whsec_a", headers, body)
    assert not is_genuine("whsec_b", headers, body)
    assert not is_genuine("whsec_a", headers, body + b" ")
    stale = now - 3600
    old = {"X-Monitor-Timestamp": str(stale), "X-Monitor-Signature": sign("whsec_a", stale, body)}
    assert not is_genuine("whsec_a", old, body)
