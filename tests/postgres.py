"""Running tests on PostgreSQL: a fresh schema per test, and the SQLite suite's tests adopted.

scripts/test.sh starts a throwaway server and sets AKHBAR_TEST_POSTGRES_URL, a URL to a database
from which tests may create others (e.g. postgresql+asyncpg://akhbar@/postgres?host=/tmp/akhbar-pg.x;
any server of your own works too). Without it the PostgreSQL tests skip, with the reason.

A test module opts in with `adopt(globals(), ...)`: that puts the `db`, `config_factory` and `pg_url`
fixtures below (a new, empty PostgreSQL schema per test, dropped afterwards) into the module, and
with them copies of other modules' tests and fixtures. pytest resolves a test's fixtures in the
module that collects it, so the adopted tests run unchanged against PostgreSQL, and `bot_factory`
(tests/helpers.py, built on config_factory) starts the whole application on it. A new test in an
adopted module that cannot hold on PostgreSQL goes in its adopter's `exclude`, with the reason.
"""

from __future__ import annotations

import inspect
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.config import Config
from bot.db.database import Database, open_database
from tests.helpers import make_config

ADMIN_URL = os.environ.get("AKHBAR_TEST_POSTGRES_URL", "")

requires_postgres = pytest.mark.skipif(
    not ADMIN_URL,
    reason="no PostgreSQL server: AKHBAR_TEST_POSTGRES_URL is not set "
    "(scripts/test.sh sets it when PostgreSQL's initdb and pg_ctl are installed)",
)


def database_url(request: pytest.FixtureRequest, sqlite_path: Path) -> str:
    """For a fixture parametrised ["sqlite", "postgresql"]: the SQLite file `sqlite_path`, or a
    new, empty PostgreSQL schema of the test's own (`pg_url`); skipped without a server."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{sqlite_path}"
    if not ADMIN_URL:
        pytest.skip("no PostgreSQL server: AKHBAR_TEST_POSTGRES_URL is not set")
    url: str = request.getfixturevalue("pg_url")
    return url


async def _admin_execute(sql: str) -> None:
    import asyncpg  # the `postgres` extra; only needed when a server is there

    url = make_url(ADMIN_URL)
    conn = await asyncpg.connect(
        host=url.query.get("host") or url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """The URL of a new, empty schema, dropped after the test.

    A role per test, and a schema named after it: PostgreSQL's default search_path starts with
    "$user", so everything the test's connections create or read is in that schema, as in a
    database of its own (creating a schema takes a millisecond, a database a quarter second)."""
    name = f"akhbar_test_{uuid.uuid4().hex[:12]}"
    password = uuid.uuid4().hex
    await _admin_execute(
        f"CREATE ROLE {name} LOGIN PASSWORD '{password}'; CREATE SCHEMA {name} AUTHORIZATION {name}"
    )
    try:
        yield make_url(ADMIN_URL).set(username=name, password=password).render_as_string(hide_password=False)
    finally:
        await _admin_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE usename = '{name}' AND pid <> pg_backend_pid(); "
            f"DROP SCHEMA {name} CASCADE; DROP ROLE {name}"
        )


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Database]:
    database = await open_database(pg_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def config_factory(tmp_path: Path, pg_url: str) -> Callable[..., Config]:
    def factory(**sections: Any) -> Config:
        sections.setdefault("database", {"url": pg_url})
        return make_config(tmp_path, **sections)

    return factory


# Fixtures a test may take to get its database: a test taking none of them opens SQLite itself
# (and already ran in its own module), so it is not adopted.
_DATABASE_FIXTURES = {"db", "config_factory", "config", "bot_factory", "bot", "stored"}


def adopt(
    namespace: dict[str, Any],
    modules: Iterable[ModuleType],
    *,
    fixtures: Iterable[tuple[ModuleType, str]] = (),
    exclude: dict[str, str] | None = None,
    only: dict[ModuleType, set[str]] | None = None,
) -> None:
    """Into a test module's namespace: the PostgreSQL fixtures, the named fixtures of other modules,
    and the tests of `modules` that take a database fixture (those in `only`, for a module listed
    there), except the `exclude`d ones (name: the reason it does not carry over)."""
    namespace.update(pg_url=pg_url, db=db, config_factory=config_factory)
    namespace["pytestmark"] = requires_postgres
    for module, name in fixtures:
        namespace[name] = getattr(module, name)
    for module in modules:
        for name, test in vars(module).items():
            if not name.startswith("test_") or not callable(test) or name in (exclude or {}):
                continue
            if only is not None and module in only and name not in only[module]:
                continue
            if _DATABASE_FIXTURES & set(inspect.signature(test).parameters):
                assert name not in namespace, f"{name} is defined twice"
                namespace[name] = test
