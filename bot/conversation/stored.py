"""A conversation's pending state as JSON, so core.conversations can keep it in the database.

Wizard answers hold Decimals, tuples, enums and a Criteria; each is written with a tag and
read back as the same type, so a restored wizard is the wizard that was saved.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

from core.criteria import Criteria
from core.enums import BuyingFormat, Channel, Condition

_ENUMS: dict[str, type[Enum]] = {
    "channel": Channel,
    "condition": Condition,
    "buying_format": BuyingFormat,  # resellers (issue 14)
}
_TAG = "$"


def encode(value: Any) -> Any:
    """``value`` as JSON-safe data; raises TypeError for a type it does not know."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Enum):  # before str: our enums are StrEnums
        name = next(k for k, kind in _ENUMS.items() if isinstance(value, kind))
        return {_TAG: name, "v": value.value}
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {_TAG: "dict", "v": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, Criteria):
        return {_TAG: "criteria", "v": value.to_json()}
    raise TypeError(f"cannot keep a {type(value).__name__} in a conversation")


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag, value = data[_TAG], data["v"]
    if tag == "decimal":
        return Decimal(value)
    if tag == "tuple":
        return tuple(decode(v) for v in value)
    if tag == "dict":
        return {k: decode(v) for k, v in value.items()}
    if tag == "criteria":
        return Criteria.from_json(value)
    return _ENUMS[tag](value)
