#!/usr/bin/env bash
# Installs Chromium from Debian's packages when it is missing (the Facebook scraper and its
# tests drive it through Playwright; Playwright's own browser download is not used).
# Needs root (CI runs as root); does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing: run 'sudo apt-get install chromium' (needed for Facebook)." >&2
  exit 1
fi
echo "== installing Chromium (Debian package)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
