#!/usr/bin/env bash
# Run Akhbar: create the virtual environment on first use, install, start the bot.
# Usage: TELEGRAM_BOT_TOKEN=... ./scripts/run.sh [--config PATH]
set -euo pipefail

# A relative config path names a file where the command was typed, not in the repository this
# script moves to below: make --config PATH, --config=PATH and AKHBAR_CONFIG absolute first.
absolute() {
    case "$1" in
        /* | '') printf '%s' "$1" ;;
        *) printf '%s/%s' "$PWD" "$1" ;;
    esac
}
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --config)
            args+=("$1")
            shift
            if [ $# -gt 0 ]; then
                args+=("$(absolute "$1")")
                shift
            fi
            ;;
        --config=*)
            args+=("--config=$(absolute "${1#--config=}")")
            shift
            ;;
        *)
            args+=("$1")
            shift
            ;;
    esac
done
if [ -n "${AKHBAR_CONFIG:-}" ]; then
    AKHBAR_CONFIG=$(absolute "$AKHBAR_CONFIG")
    export AKHBAR_CONFIG
fi

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import bot, telegram, asyncpg" 2>/dev/null || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    # With the PostgreSQL driver: switching [database] url to PostgreSQL needs no install step.
    .venv/bin/python -m pip install --quiet -e ".[postgres]"
    touch .venv/.installed
fi
# ${args[@]+...}: bash before 4.4 (macOS) calls an empty array unbound under `set -u`.
exec .venv/bin/akhbar ${args[@]+"${args[@]}"} run
