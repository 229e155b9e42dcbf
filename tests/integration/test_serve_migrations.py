"""Alembic: 0001 creates exactly the tables the code describes, and upgrading twice is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from paydesk.schema import metadata
from paydesk.store.engine import make_engine
from paydesk.store.migrate import upgrade


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


def test_db_upgrade_command_migrates_database_url(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path}/cli.db"
    env = {**os.environ, "DATABASE_URL": url}
    paydesk = str(Path(sys.executable).with_name("paydesk"))
    proc = subprocess.run([paydesk, "db", "upgrade"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) >= set(metadata.tables)
    finally:
        engine.dispose()
