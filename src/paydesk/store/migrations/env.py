"""Alembic environment: online migrations only, against the URL `paydesk.store.migrate` sets."""

from alembic import context
from sqlalchemy import text

from paydesk.store.engine import make_engine
from paydesk.schema import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set: run migrations through paydesk.store.migrate")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Several app instances may start at once: one migrates, the others wait.
                    connection.execute(text("SELECT pg_advisory_xact_lock(7283001)"))
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations_online()
