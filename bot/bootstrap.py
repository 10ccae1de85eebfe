"""The one bootstrap: builds the Monitor for ``run``, ``demo`` and the tests' world.

bot/app.py decides which concrete adapters a process has (from Settings) and hands them here;
tests hand fakes for the same ports. Everything between the ports and the loops (runner,
dispatcher, retention, search service, verification, the chat front-ends' services, the one
signing key store) is wired here and only here, so a test exercises the production wiring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.conversation import ChatServices, with_verification
from core.clock import Clock, utcnow
from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import Channel
from core.metrics import Metrics
from core.ports import Marketplace, Notifier, SearchWatcher
from core.rates import RatesCache, RatesJob, RateSource
from core.retention import Retention, RetentionOptions
from core.runner import Runner, RunnerOptions
from core.saved_state import SavedStateChecker
from core.searches import SearchService
from core.signing import KeyStore
from core.tiers import TierTable
from core.verification import CodeSender, VerificationService, WebhookProbe

__all__ = ["BootConfig", "Monitor", "Verifiers", "bootstrap"]


@dataclass(frozen=True, slots=True)
class BootConfig:
    """The tunables of the loops; ``run`` derives them from Settings, the demo and tests set
    them directly."""

    runner: RunnerOptions = field(default_factory=RunnerOptions)
    dispatcher: DispatcherOptions = field(default_factory=DispatcherOptions)
    retention: RetentionOptions = field(default_factory=RetentionOptions)


@dataclass(frozen=True, slots=True)
class Verifiers:
    """Who proves addresses: a code sender per channel, and the webhook probe (explicit, so
    a notifier never becomes a verifier by happening to have the right method)."""

    senders: Mapping[Channel, CodeSender] = field(default_factory=dict)
    webhook: WebhookProbe | None = None

    @property
    def any(self) -> bool:
        return bool(self.senders) or self.webhook is not None


@dataclass(slots=True)
class Monitor:
    """The running parts of one process."""

    metrics: Metrics
    runner: Runner
    dispatcher: Dispatcher
    searches: SearchService
    retention: Retention
    keys: KeyStore
    chat: ChatServices  # what every chat front-end's conversations call
    notifiers: dict[str, Notifier] = field(default_factory=dict)

    def add_notifier(self, route: str, notifier: Notifier) -> None:
        """A chat front-end's own notifier, added once the front-end is built."""
        self.dispatcher.add_notifier(route, notifier)
        self.notifiers[route] = notifier


def bootstrap(
    config: BootConfig,
    *,
    marketplaces: Mapping[str, Marketplace],
    notifiers: Mapping[str, Notifier],
    tiers: TierTable,
    verifiers: Verifiers | None = None,
    watchers: Sequence[SearchWatcher] = (),
    clock: Clock = utcnow,
    rates: RateSource | None = None,
) -> Monitor:
    """Wire the Monitor over the given ports (real adapters in ``run``, fakes in tests).

    ``rates`` (the ECB's reference rates) are fetched by the runner before its first check
    and daily after; without a source, rates another process stored are still used."""
    metrics = Metrics()
    keys = KeyStore()  # one store: email links, verification codes and web pages agree
    rates_cache = RatesCache()
    rates_job = None if rates is None else RatesJob(rates, cache=rates_cache, clock=clock)
    runner = Runner(
        marketplaces,
        options=config.runner,
        metrics=metrics,
        clock=clock,
        rates_job=rates_job,
        rates=rates_cache,
        saved_state=SavedStateChecker(marketplaces, clock=clock),  # issue 14
    )
    retention = Retention(config.retention, clock=clock)
    dispatcher = Dispatcher(
        notifiers,
        options=config.dispatcher,
        metrics=metrics,
        clock=clock,
        keys=keys,
        retention=retention,
        rates=rates_cache,
        tiers=tiers,
    )
    searches = SearchService(tiers, marketplaces, clock=clock, watchers=watchers)
    chat = ChatServices(searches, clock=clock)
    if verifiers is not None and verifiers.any:
        verification = VerificationService(
            verifiers.senders, verifiers.webhook, keys=keys, clock=clock
        )
        chat = with_verification(chat, verification)
    return Monitor(metrics, runner, dispatcher, searches, retention, keys, chat, dict(notifiers))
