"""Discord: the whole product through slash commands, forms and buttons, via discord.py.

``DiscordFrontend`` runs the sharded client in the process's event loop, stores every
interaction in the durable inbox after answering it within Discord's 3 seconds, and delivers
alerts through ``DiscordNotifier`` (REST only); bot/app.py builds it when a token is set.
"""

from bot.discord.config import DiscordConfig
from bot.discord.frontend import DiscordFrontend
from bot.discord.notifier import DiscordNotifier

__all__ = ["DiscordConfig", "DiscordFrontend", "DiscordNotifier"]
