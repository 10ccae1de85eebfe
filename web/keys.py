"""Typed keys for the objects every route module may share through the application."""

from __future__ import annotations

from aiohttp import web

from core.clock import Clock
from core.metrics import Metrics

# Keys are constants, not state: the values live on each Application that build_web_app makes.
METRICS = web.AppKey("metrics", Metrics)
CLOCK = web.AppKey[Clock]("clock")
