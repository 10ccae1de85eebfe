"""Settings: read once, in bot/app.py, from the environment and an optional .env file.

Every external endpoint has a base-URL setting so tests (and anyone evaluating offline) can
point it at a local server. Secrets are ``SecretStr`` so they never appear in logs or reprs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigurationError


class TelegramMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


# The scraped sites have no credentials to detect: they run only when MARKETPLACES names them.
SCRAPED_MARKETPLACES = ("craigslist", "facebook", "gumtree")
# These run when their settings are there (eBay's keys, SANDBOX_URL); naming them is optional.
KEYED_MARKETPLACES = ("ebay", "sandbox")
KNOWN_MARKETPLACES = SCRAPED_MARKETPLACES + KEYED_MARKETPLACES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = "sqlite://data/monitor.sqlite3"

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    telegram_mode: TelegramMode = TelegramMode.POLLING
    telegram_webhook_secret: SecretStr | None = None
    # The update inbox (core.inbox): updates stored and not yet handled, in all and per chat.
    # Over the first, webhooks get 503 and polling waits; over the second, a chat's extra
    # updates are dropped and it is asked once to slow down.
    inbox_max_pending: int = Field(default=10_000, ge=1)
    inbox_max_pending_per_chat: int = Field(default=20, ge=1)

    discord_bot_token: SecretStr | None = None
    discord_api_url: AnyHttpUrl = AnyHttpUrl("https://discord.com/api/v10")
    discord_gateway_url: str = "wss://gateway.discord.gg"
    # Set → slash commands are registered in this server only (they show at once; testing).
    discord_guild_id: int | None = None
    # Sharding: how many shards in all, and which of them this process runs ("0,1"). Unset:
    # Discord's recommended count, every shard here.
    discord_shard_count: int | None = Field(default=None, ge=1)
    discord_shard_ids: str | None = None
    # How often the process that registers the commands asks Discord whether the creators
    # of channel searches still manage their servers (issue 12: no privileged intent).
    discord_member_check_seconds: float = Field(default=600.0, ge=1.0)

    ebay_client_id: str | None = None
    ebay_client_secret: SecretStr | None = None
    ebay_api_url: AnyHttpUrl = AnyHttpUrl("https://api.ebay.com")
    ebay_marketplace_id: str = "EBAY_GB"
    ebay_daily_call_quota: int = Field(default=5000, ge=1)  # Browse calls a day (eBay's default)
    # Serve queries concentrated in a few categories from category feeds (issue 18).
    ebay_feeds: bool = False

    facebook_url: AnyHttpUrl = AnyHttpUrl("https://www.facebook.com")
    facebook_state_file: Path | None = None
    browser_executable: Path | None = None

    gumtree_url: AnyHttpUrl = AnyHttpUrl("https://www.gumtree.com")
    craigslist_url: str = "https://{site}.craigslist.org"
    craigslist_api_url: AnyHttpUrl = AnyHttpUrl("https://sapi.craigslist.org")
    craigslist_reference_url: AnyHttpUrl = AnyHttpUrl("https://reference.craigslist.org")

    sandbox_url: AnyHttpUrl | None = None
    # The ECB's daily euro reference rates: prices in another currency than a search's are
    # converted with them (docs/marketplaces.md#currencies). Tests point it at a fake.
    ecb_rates_url: AnyHttpUrl = AnyHttpUrl(
        "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    )
    # Comma list of the marketplaces to run (e.g. "craigslist,gumtree"): the scraped sites
    # are opt-in; eBay and the sandbox also run unnamed when their settings are present.
    marketplaces: str = ""

    sendgrid_api_key: SecretStr | None = None
    sendgrid_api_url: AnyHttpUrl = AnyHttpUrl("https://api.sendgrid.com")
    smtp_url: SecretStr | None = None
    email_from: str | None = None

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_api_url: AnyHttpUrl = AnyHttpUrl("https://api.twilio.com")

    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_url: AnyHttpUrl = AnyHttpUrl("https://api.stripe.com")
    stripe_price_starter: str | None = None
    stripe_price_pro: str | None = None
    stripe_price_business: str | None = None

    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    public_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8080")
    # Set → /metrics wants "Authorization: Bearer <token>" (set it when WEB_PORT is public).
    metrics_token: SecretStr | None = None

    # The JSON API (/api/v1): requests per minute per token, counted in the database so
    # every web process shares the count; and the largest request body it reads.
    api_rate_limit: int = Field(default=60, ge=1, le=100_000)
    api_max_body_bytes: int = Field(default=65_536, ge=1024, le=10_485_760)

    webhook_allow_private_targets: bool = False

    # How long a worker holds a claimed search / alert: after a crash, the work is picked up
    # again once this runs out. Longer than any check or send takes; shorter means faster
    # recovery.
    check_lease_seconds: float = Field(default=300.0, gt=0)
    # A fetch this recent serves every search with the same request (coalescing across
    # batches and the spread of a popular query's searches).
    fetch_share_seconds: float = Field(default=10.0, ge=0)
    delivery_lease_seconds: float = Field(default=120.0, gt=0)
    # Finished alerts and notices, and listings nothing refers to, are deleted this many
    # days on (with their clicks); used or expired verification codes after a day.
    retention_days: int = Field(default=90, ge=1, le=36500)

    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgres://", "postgresql://")):
            raise ValueError("must start with sqlite:// or postgres://")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("marketplaces")
    @classmethod
    def _known_marketplaces(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in KNOWN_MARKETPLACES]
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)} is not a marketplace; "
                f"choose from {', '.join(KNOWN_MARKETPLACES)}"
            )
        return ",".join(dict.fromkeys(names))

    @property
    def marketplace_names(self) -> tuple[str, ...]:
        """The marketplaces MARKETPLACES names, lower-case, in order, without repeats."""
        return tuple(n for n in self.marketplaces.split(",") if n)

    @property
    def discord_shards(self) -> tuple[int, ...] | None:
        """DISCORD_SHARD_IDS as numbers ("0,2" → (0, 2)); None when unset."""
        if not self.discord_shard_ids:
            return None
        return tuple(int(part) for part in self.discord_shard_ids.split(",") if part.strip())

    @field_validator("discord_shard_ids")
    @classmethod
    def _shard_list(cls, value: str | None) -> str | None:
        if value and not all(p.strip().isdigit() for p in value.split(",")):
            raise ValueError('must be shard numbers separated by commas, like "0,1"')
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite://")


def load_settings(env_file: str | None = ".env") -> Settings:
    """Read the settings, turning pydantic's errors into one line naming each bad setting."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ConfigurationError("; ".join(problems)) from exc
