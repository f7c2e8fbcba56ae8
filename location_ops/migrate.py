"""Alembic from code: upgrade, and the check that refuses an unmigrated database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from location_ops.config import PROJECT_ROOT


class DatabaseNotMigrated(RuntimeError):
    """The database schema is not at the newest revision."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to date."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def check_migrated(engine: Engine) -> None:
    """Raise DatabaseNotMigrated with a sentence that says what to do."""
    head = head_revision(str(engine.url))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}, the code needs {head}"
        raise DatabaseNotMigrated(
            f"The database is not migrated ({state}). Run `location-ops migrate` first."
        )
