"""Marketplace adapters: one package per marketplace, each implementing core's Marketplace port."""

from scrapers.sandbox import SandboxConfig, SandboxMarketplace, build_sandbox_app
from scrapers.sandbox.server import running_sandbox, serve_sandbox

__all__ = [
    "SandboxConfig",
    "SandboxMarketplace",
    "build_sandbox_app",
    "running_sandbox",
    "serve_sandbox",
]
