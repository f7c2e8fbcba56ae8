"""The rota migration goes up and down on SQLite and PostgreSQL, and seeds the wegwijzer."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import inspect, text

from location_ops.db import make_engine
from location_ops.migrate import downgrade, upgrade

TABLES = {"caseworker_profiles", "visits", "visit_changes", "talk_requests", "announcements", "help_services"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_downgrade_upgrade(kind, tmp_path, request):
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrate.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"lo_rota_{uuid.uuid4().hex[:8]}")
    upgrade(url, "0004")
    engine = make_engine(url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, phone, email, website, address FROM help_services")).all()
        assert len(rows) == 12 and "Veilig Thuis" in {row.name for row in rows}
        assert all(row.phone == row.email == row.website == row.address == "" for row in rows)
        downgrade(url, "0003")
        engine.dispose()
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(url, "0004")
        engine.dispose()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM help_services")).scalar() == 12
    finally:
        engine.dispose()
