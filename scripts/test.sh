#!/usr/bin/env bash
# The whole check: lint (ruff), types (mypy), tests (pytest). CI runs exactly this.
# Usage: ./scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import bot, telegram, pytest, aiohttp" 2>/dev/null || [ pyproject.toml -nt .venv/.installed-dev ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[dev]"
    touch .venv/.installed-dev
fi
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# A throwaway PostgreSQL for tests/test_postgres*.py (AKHBAR_TEST_POSTGRES_URL): initdb in a temp
# dir, listening only on a unix socket there, stopped and removed on exit. Without the binaries
# those tests skip. An AKHBAR_TEST_POSTGRES_URL already set (a server of your own) is used as it is.
PG_TMP="" PG_BINDIR="" PG_AS_USER=()
as_pg() {
    # From inside the temp dir: the postgres user may not be allowed into the checkout.
    (cd "$PG_TMP" && "${PG_AS_USER[@]}" "$@")
}
start_test_postgres() {
    local bindir="" candidate
    for candidate in "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")" \
        $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
            bindir=$candidate
            break
        fi
    done
    if [ -z "$bindir" ]; then
        echo "(no PostgreSQL binaries found: the PostgreSQL tests will skip)"
        return 0
    fi
    if [ "$(id -u)" = 0 ]; then
        # initdb and postgres refuse to run as root: run them as the postgres user Debian creates.
        if ! id postgres >/dev/null 2>&1; then
            echo "(running as root and there is no postgres user: the PostgreSQL tests will skip)"
            return 0
        fi
        PG_AS_USER=(runuser -u postgres --)
    fi
    PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/akhbar-pg.XXXXXX")
    trap stop_test_postgres EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    [ "$(id -u)" = 0 ] && chown postgres "$PG_TMP"
    PG_BINDIR=$bindir
    # fsync off etc.: the data is thrown away, so durability would only cost time.
    if as_pg "$bindir/initdb" -D "$PG_TMP/data" -A trust -U akhbar -E UTF8 --no-locale --no-sync \
        >"$PG_TMP/initdb.log" 2>&1 &&
        as_pg "$bindir/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 30 -o "-k $PG_TMP \
            -c listen_addresses= -F -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
            start >/dev/null 2>&1; then
        export AKHBAR_TEST_POSTGRES_URL="postgresql+asyncpg://akhbar@/postgres?host=$PG_TMP"
        echo "(PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on $PG_TMP)"
    else
        echo "(PostgreSQL did not start: the PostgreSQL tests will skip)"
        tail -n 5 "$PG_TMP/initdb.log" "$PG_TMP/server.log" 2>/dev/null || true
    fi
}
stop_test_postgres() {
    if [ -n "$PG_BINDIR" ] && [ -f "$PG_TMP/data/postmaster.pid" ]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "$PG_TMP" ]; then
        rm -rf "$PG_TMP"
    fi
    return 0
}
if [ -z "${AKHBAR_TEST_POSTGRES_URL:-}" ]; then
    start_test_postgres
fi
# Tests run in parallel workers (pytest-xdist): most of a test's time is spent waiting on its local
# servers, so more workers than cores still shortens the run. AKHBAR_TEST_WORKERS=0 runs them in
# this process (for a debugger, or -x to stop at the first failure in order).
.venv/bin/pytest -q -p no:cacheprovider -n "${AKHBAR_TEST_WORKERS:-4}" "$@"
