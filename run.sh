#!/usr/bin/env bash
# Set up (first time) and start Marketplace Monitor.
# With no chat platform configured it runs the offline demo; otherwise `marketplace-monitor run`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup-env.sh ""

configured() {  # set in the environment, or in .env
  [ -n "${!1:-}" ] || { [ -f .env ] && grep -Eq "^\s*$1\s*=\s*\S" .env; }
}

if configured TELEGRAM_BOT_TOKEN || configured DISCORD_BOT_TOKEN; then
  exec .venv/bin/marketplace-monitor run "$@"
fi
exec .venv/bin/marketplace-monitor demo "$@"
