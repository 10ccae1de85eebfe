"""The sandbox marketplace: a local server of made-up listings and its Marketplace adapter.

Used by the offline demo, the tests and the benchmarks.
"""

from scrapers.sandbox.generator import ListingGenerator
from scrapers.sandbox.listing import SandboxListing
from scrapers.sandbox.marketplace import SandboxMarketplace
from scrapers.sandbox.server import (
    SandboxConfig,
    build_sandbox_app,
    running_sandbox,
    serve_sandbox,
)

__all__ = [
    "ListingGenerator",
    "SandboxConfig",
    "SandboxListing",
    "SandboxMarketplace",
    "build_sandbox_app",
    "running_sandbox",
    "serve_sandbox",
]
