#!/usr/bin/env bash
# The test command: static checks, architecture contracts, then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== ruff";          ruff check .
echo "== mypy";          mypy
echo "== import-linter"; lint-imports
echo "== pytest";        python -m pytest "$@"
