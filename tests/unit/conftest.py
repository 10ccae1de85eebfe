"""Fixtures shared by the unit tests."""

from tests.unit.world import world

__all__ = ["world"]
