#!/usr/bin/env bash
# Set up (first time) and run every check: ruff, mypy, import-linter, then the test suite on
# SQLite and again on Postgres when one answers (TEST_POSTGRES_URL, default the local server).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup-env.sh "dev"
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy (strict on every package)"
mypy
echo "== import-linter (the dependency rule)"
lint-imports

echo "== tests on SQLite"
# pytest exits 5 when it collected nothing: that fails this script like any other failure.
TEST_DATABASE_URL= pytest "$@"

postgres="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if python scripts/postgres_answers.py "$postgres"; then
  echo "== tests on Postgres"
  TEST_DATABASE_URL="$postgres" pytest "$@"
else
  echo "== Postgres at $postgres does not answer: the Postgres run is skipped"
fi
