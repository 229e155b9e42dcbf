"""Alembic, driven from code: `upgrade(url)` on start and `paydesk db upgrade` from the shell.

The configuration is built here rather than read from an ini file so that an installed wheel
migrates the same way a checkout does.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from paydesk.store.engine import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a "%" in a password.
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`; safe to run on every start."""
    command.upgrade(alembic_config(url), revision)

