"""Fixtures shared by every tier: databases (SQLite file, the machine's PostgreSQL), the sandbox,
and a fresh Stripe account (secret key) per test so tests never see each other's objects."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

# A demo shop started by a test keeps its sandbox in memory (not in var/ of the checkout) unless
# the test sets SANDBOX_DB itself.
os.environ["SANDBOX_DB"] = "memory"
# A user's project that tests/sandbox/test_pytest_plugin.py runs with pytest of its own.
collect_ignore = ["plugin_project"]

PG_ADMIN_URL = os.environ.get("PAYDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return True
    except Exception:
        return False


PG_AVAILABLE = _pg_available()


def _fresh_pg_database() -> tuple[str, str]:
    import psycopg

    name = "pd_" + uuid.uuid4().hex[:16]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """An empty database, once on SQLite and once on the machine's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/paydesk.db"
        return
    if not PG_AVAILABLE:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    name, url = _fresh_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{tmp_path}/paydesk.db"


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """One in-memory sandbox on a free loopback port for the whole run."""
    from paydesk.sandbox.server import start_in_thread

    handle = start_in_thread(host="127.0.0.1", port=0, retry_delays="1,1,2")
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture
def stripe_key() -> str:
    """Each secret key is its own sandbox account: a fresh one per test."""
    return "sk_test_" + uuid.uuid4().hex


@pytest.fixture
def stripe_client(sandbox_url: str, stripe_key: str):  # type: ignore[no-untyped-def]
    import stripe

    return stripe.StripeClient(stripe_key, base_addresses={"api": sandbox_url})
