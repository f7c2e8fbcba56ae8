"""The alarms migration (0003) upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import inspect

from location_ops.db import make_engine
from location_ops.migrate import downgrade, upgrade

TABLES = {"devices", "alarms", "alarm_events", "bridge_status"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_alarms_migration_round_trip(kind, tmp_path, request):
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"lo_mig_{uuid.uuid4().hex[:6]}")

    def tables() -> set[str]:
        engine = make_engine(url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    upgrade(url, "0003")
    assert TABLES <= tables()
    downgrade(url, "0002")
    assert not TABLES & tables()
    assert "rooms" in tables()
    upgrade(url, "0003")
    assert TABLES <= tables()
