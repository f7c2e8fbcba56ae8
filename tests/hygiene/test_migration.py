"""The hygiene migration: default checklists in a fresh install; reversible on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import inspect, text

from location_ops.db import make_engine
from location_ops.migrate import downgrade, upgrade


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_fresh_install_has_default_checklists_and_downgrades(backend_name, tmp_path, request):
    if backend_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"lo_hyg_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT t.kind, t.version, count(i.id) FROM hygiene_templates t "
                "JOIN hygiene_template_items i ON i.template_id = t.id GROUP BY t.kind, t.version")).all()
            assert {kind: (version, count) for kind, version, count in rows} == {
                "turnover": (1, 10), "daily": (1, 11), "weekly": (1, 9)}
            texts = connection.execute(text("SELECT text_nl, text_en FROM hygiene_template_items "
                                            "WHERE key = 'panic_button'")).all()
            assert ("Alarmknop op zijn plek en lampje brandt", "Panic button in place and its light on") in texts
        downgrade(url, "0004")
        assert not any(name.startswith("hygiene_") for name in inspect(engine).get_table_names())
        upgrade(url)
        assert "hygiene_rounds" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
