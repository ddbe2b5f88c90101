#!/usr/bin/env bash
# Run Akhbar: create the virtual environment on first use, install, start the bot.
# Usage: TELEGRAM_BOT_TOKEN=... ./scripts/run.sh [--config PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import bot, telegram" 2>/dev/null || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e .
    touch .venv/.installed
fi
exec .venv/bin/akhbar "$@" run
