"""Migrations: empty to head, down to base and up again, on SQLite and PostgreSQL; the app refuses
to start on a database that is not migrated."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

import location_ops.models  # noqa: F401 - every capability's tables
from location_ops.app import create_app
from location_ops.config import Settings
from location_ops.db import Base, make_engine, make_sessionmaker
from location_ops.migrate import DatabaseNotMigrated, downgrade, head_revision, upgrade
from location_ops.rooms import service as rooms_service

NOT_MIGRATED = "Run `location-ops migrate` first."


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("pg_server").create_database(f"lo_mig_{uuid.uuid4().hex[:8]}")


def _state(url: str) -> tuple[set[str], str | None, list]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            diff = compare_metadata(context, Base.metadata)
            return tables, context.get_current_revision(), diff
    finally:
        engine.dispose()


def test_upgrade_downgrade_and_upgrade_again(empty_url):
    model_tables = set(Base.metadata.tables)
    upgrade(empty_url)
    tables, revision, diff = _state(empty_url)
    assert revision == head_revision(empty_url)
    assert tables == model_tables
    assert diff == [], f"the models and the migrations differ: {diff}"
    downgrade(empty_url, "base")
    tables, revision, _diff = _state(empty_url)
    assert tables == set() and revision is None
    upgrade(empty_url)
    tables, revision, diff = _state(empty_url)
    assert tables == model_tables and revision == head_revision(empty_url) and diff == []


def test_the_app_refuses_an_unmigrated_database(empty_url, tmp_path):
    settings = Settings(database_url=empty_url, mqtt_url="mqtt://127.0.0.1:9", var_dir=tmp_path / "var")
    app = create_app(settings)
    with pytest.raises(DatabaseNotMigrated, match="location-ops migrate") as raised:
        with TestClient(app):
            pass
    assert "empty" in str(raised.value)
    upgrade(empty_url, "0001")
    with pytest.raises(DatabaseNotMigrated, match="at revision 0001"):
        with TestClient(create_app(settings.model_copy(update={"database_url": empty_url}))):
            pass


def test_serve_on_an_unmigrated_database_exits_with_the_sentence(empty_url, tmp_path):
    env = {**os.environ, "LOCATION_OPS_DATABASE_URL": empty_url, "LOCATION_OPS_VAR_DIR": str(tmp_path / "var"),
           "LOCATION_OPS_PORT": "9"}
    result = subprocess.run([sys.executable, "-m", "location_ops.cli", "serve"], env=env, capture_output=True,
                            text=True, timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode != 0
    assert NOT_MIGRATED in result.stderr
    assert "Traceback" not in result.stderr


def _shifts(url: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db_session:
            return [(shift.name, shift.starts, shift.ends, shift.weekdays, shift.price_cents, shift.active)
                    for shift in rooms_service.list_shifts(db_session=db_session)]
    finally:
        engine.dispose()


DEFAULT_SHIFTS = [("day", dt.time(10), dt.time(18), "1234567", 8000, True),
                  ("evening", dt.time(18), dt.time(1), "1234567", 12000, True)]


def test_a_fresh_install_has_the_default_shifts_and_keeps_what_the_operator_changes(empty_url):
    upgrade(empty_url)
    assert _shifts(empty_url) == DEFAULT_SHIFTS
    engine = make_engine(empty_url)
    try:
        with make_sessionmaker(engine)() as db_session:
            day, evening = rooms_service.list_shifts(db_session=db_session)
            rooms_service.update_shift(db_session=db_session, shift=day, starts=dt.time(11), ends=dt.time(19),
                                       weekdays="12345", price_cents=9000, active=True)
            rooms_service.update_shift(db_session=db_session, shift=evening, starts=evening.starts,
                                       ends=evening.ends, weekdays=evening.weekdays, price_cents=evening.price_cents,
                                       active=False)
            db_session.commit()
    finally:
        engine.dispose()
    changed = [("day", dt.time(11), dt.time(19), "12345", 9000, True),
               ("evening", dt.time(18), dt.time(1), "1234567", 12000, False)]
    assert _shifts(empty_url) == changed
    upgrade(empty_url)  # `location-ops migrate` again: nothing put back
    downgrade(empty_url, "0008")
    upgrade(empty_url)  # and through the data migration once more
    assert _shifts(empty_url) == changed


def test_a_database_that_has_shifts_gets_no_defaults(empty_url):
    upgrade(empty_url, "0008")
    engine = make_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO shift_templates (name, starts, ends, weekdays, price_cents, active) "
                                    "VALUES ('late', '20:00:00', '04:00:00', '5', 15000, false)"))
    finally:
        engine.dispose()
    upgrade(empty_url)
    assert _shifts(empty_url) == [("late", dt.time(20), dt.time(4), "5", 15000, False)]
