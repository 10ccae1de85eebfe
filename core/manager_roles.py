"""Server roles that may manage a shared chat's searches, besides the platform's own admins."""

from __future__ import annotations

from core.enums import Platform
from core.models import ManagerRole


async def manager_role(platform: Platform, scope_id: str) -> str | None:
    """The role id set for ``scope_id`` (a Discord server), or None."""
    row = await ManagerRole.get_or_none(platform=platform, scope_id=scope_id)
    return row.role_id if row is not None else None


async def set_manager_role(platform: Platform, scope_id: str, role_id: str | None) -> None:
    """Set (or with None, clear) the manager role of ``scope_id``. The caller has checked
    that the person asking is an admin there."""
    if role_id is None:
        await ManagerRole.filter(platform=platform, scope_id=scope_id).delete()
        return
    await ManagerRole.update_or_create(
        defaults={"role_id": role_id}, platform=platform, scope_id=scope_id
    )
