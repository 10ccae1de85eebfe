"""Marketplace adapters: one package per marketplace, each implementing core's Marketplace port."""

from scrapers.sandbox import SandboxConfig, SandboxMarketplace, build_sandbox_app

__all__ = ["SandboxConfig", "SandboxMarketplace", "build_sandbox_app"]
