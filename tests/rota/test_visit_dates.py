"""A weekly visit cannot start in the past (the issue's visit from January 2025 was accepted)."""

from __future__ import annotations

import re

import datetime as dt

import pytest
from sqlalchemy import func, select

from location_ops.rota import service
from location_ops.rota.models import Visit
from tests.conftest import csrf_from
from tests.rota.conftest import NOW


def _count(db) -> int:
    count = db.scalar(select(func.count()).select_from(Visit))
    db.rollback()
    return count


def test_a_visit_starting_in_the_past_is_refused_with_a_sentence(client, frozen, login_as, db):
    login_as("caseworker")
    page = client.get("/rota/manage").text
    today = NOW.date()
    assert re.search(f'<input type="date"[^>]*name="valid_from"[^>]*min="{today.isoformat()}"', page)
    data = {"csrf_token": csrf_from(page), "weekday": "0", "starts_at": "14:00", "ends_at": "16:00"}
    response = client.post("/rota/visits", data={**data, "valid_from": "2025-01-06"})
    assert response.status_code == 400 and "cannot start in the past" in response.text
    assert _count(db) == 0
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert client.post("/rota/visits", data={**data, "valid_from": yesterday}).status_code == 400
    done = client.post("/rota/visits", data={**data, "valid_from": today.isoformat()}, follow_redirects=False)
    assert done.status_code == 303 and _count(db) == 1


def test_the_service_refuses_a_past_start_unless_arranging_history(db, frozen, make_user):
    from location_ops.accounts.models import User

    caseworker = db.get(User, make_user("caseworker").id)
    start = dt.date(2025, 1, 6)
    with pytest.raises(service.RotaError, match="cannot start in the past"):
        service.create_visit(db_session=db, actor=caseworker, caseworker_id=caseworker.id, weekday=0,
                             starts_at=dt.time(14), ends_at=dt.time(16), valid_from=start)
    visit = service.create_visit(db_session=db, actor=caseworker, caseworker_id=caseworker.id, weekday=0,
                                 starts_at=dt.time(14), ends_at=dt.time(16), valid_from=start, backdate=True)
    assert visit.valid_from == start
