"""Who may do what in a Discord channel: Discord's answer to "is this user a manager?".

The rule (DMs act on one's own account; in a server channel only its managers manage the
channel's searches, on behalf of each search's owner) is core's (core.access). Discord
sends the presser's permissions in that channel with every interaction, computed by Discord
at the moment of the press; a manager is someone with Manage Server (or Administrator), or
with the role a server's admin chose with /managerrole.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import access
from core.enums import Platform
from core.views import AccountView, MatchView

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5


@dataclass(slots=True)
class DiscordRights:
    """One user's rights in one channel; implements core.access's AdminCheck port."""

    channel_id: str
    user_id: str
    guild_id: str | None
    permissions: int
    account: AccountView
    roles: tuple[str, ...] = ()
    manager_role: str | None = None  # a role set with /managerrole (core.manager_roles)

    @property
    def is_group(self) -> bool:
        return self.guild_id is not None

    @property
    def is_admin_here(self) -> bool:
        """Manage Server or Administrator: may also choose the manager role."""
        return bool(self.permissions & (MANAGE_GUILD | ADMINISTRATOR))

    @property
    def is_manager(self) -> bool:
        return self.is_admin_here or (
            self.manager_role is not None and self.manager_role in self.roles
        )

    @property
    def actor(self) -> access.Actor:
        return access.Actor(
            Platform.DISCORD, self.channel_id, self.user_id, self.account.id, self.is_group
        )

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        # Only the presser's own permissions came with the interaction.
        if (chat_id, user_id) != (self.channel_id, self.user_id):
            return False
        return self.is_manager

    async def require_manager(self) -> None:
        await access.require_manager(self.actor, self)

    async def search_owner(self, search_id: int) -> AccountView:
        return await access.search_owner(self.actor, search_id, self)

    async def match_owner(self, match_id: int) -> tuple[MatchView, AccountView]:
        return await access.match_owner(self.actor, match_id, self)
