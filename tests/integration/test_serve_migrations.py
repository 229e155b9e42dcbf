"""Alembic: 0001 creates exactly the tables the code describes, and upgrading twice is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from paydesk.store.engine import make_engine
from paydesk.store.migrate import upgrade
from paydesk.store.tables import metadata


def test_upgrade_builds_the_schema_the_code_expects(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)  # every start runs it
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
            assert set(inspect(conn).get_table_names()) >= set(metadata.tables) | {
                "alembic_version"
            }
    finally:
        engine.dispose()
