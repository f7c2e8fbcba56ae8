"""The reception log: append-only (no route changes or deletes, the database refuses), corrections,
filters, the day report, the JSON API, bad input, retention and what reaches the application logs."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError

from location_ops.clock import clock
from location_ops.db import make_engine
from location_ops.migrate import downgrade, upgrade
from location_ops.reception import service
from location_ops.reception.models import LogEntry
from location_ops.web import field_id
from tests.reception.conftest import TODAY, csrf

SECRET_TEXT = "Lost keys found by the back door (private detail 7c1f)"


def _post(client, token, **body):
    return client.post("/api/v1/log", json=body, headers={"X-CSRF-Token": token})


def _count(place) -> int:
    with place.session() as db_session:
        return service.count_entries(db_session=db_session)


def test_no_route_changes_or_deletes_a_log_entry(app, client, place, host):
    for _prefix, router in app.state.routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and ("log" in route.path or "reception" in route.path):
                assert not (route.methods & {"PUT", "PATCH", "DELETE"}), route.path
    token = csrf(client)
    created = _post(client, token, kind="note", text="Linen delivered late")
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.request(method, f"/api/v1/log/{entry_id}", json={"text": "changed"},
                                  headers={"X-CSRF-Token": token})
        assert response.status_code == 405, (method, response.status_code)
    assert client.get(f"/api/v1/log/{entry_id}").json()["text"] == "Linen delivered late"


def test_the_database_refuses_to_change_an_entry(place, host, client):
    token = csrf(client)
    entry_id = _post(client, token, kind="note", text="original").json()["id"]
    with place.session() as db_session:
        with pytest.raises(DatabaseError, match="append-only"):
            db_session.execute(text("UPDATE reception_log_entries SET text = 'forged' WHERE id = :id"),
                               {"id": entry_id})
            db_session.flush()
        db_session.rollback()
        assert db_session.get(LogEntry, entry_id).text == "original"


def test_a_correction_is_a_new_entry_and_keeps_the_original(client, place, host):
    token = csrf(client)
    visitor = _post(client, token, kind="visitor_in", room_id=place.rooms[2])
    assert visitor.status_code == 201
    original = visitor.json()
    correction = _post(client, token, kind="visitor_in", room_id=place.rooms[3], corrects_id=original["id"])
    assert correction.status_code == 201, correction.text
    assert correction.json()["corrects_id"] == original["id"] and correction.json()["room"] == 3
    again = client.get(f"/api/v1/log/{original['id']}").json()
    assert (again["room"], again["at"], again["corrected_by"]) == (2, original["at"], [correction.json()["id"]])
    # The page form does the same, and the log shows the original struck through, not gone.
    response = client.post("/reception/log", data={"kind": "visitor_in", "room": "", "corrects":
                                                   str(original["id"]), "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/reception/log").text
    assert f'id="entry-{original["id"]}" class="rx-entry rx-entry-visitor_in rx-corrected"' in page
    assert "(entry was a mistake)" in page
    # A correction keeps the kind of what it corrects.
    wrong = _post(client, token, kind="note", text="x", corrects_id=original["id"])
    assert wrong.status_code == 422 and "keeps the kind" in wrong.json()["detail"]
    assert _post(client, token, kind="note", text="x", corrects_id=999999).status_code == 404


def test_bad_input_gets_a_sentence_and_writes_nothing(client, place, host):
    token = csrf(client)
    cases = [
        ({"kind": "visitor_in", "room_id": 999999}, 422, "no room with id 999999"),
        ({"kind": "note", "room_id": 999999, "text": "x"}, 422, "no room with id 999999"),
        ({"kind": "visitor_in", "room_id": place.rooms[1], "text": "tall man"}, 422, "room and a time only"),
        ({"kind": "visitor_out"}, 422, "Choose the room"),
        ({"kind": "worker_in", "room_id": place.rooms[1]}, 422, "written by check-in"),
        ({"kind": "handover", "text": "x"}, 422, "ending a shift"),
        ({"kind": "gossip", "text": "x"}, 422, "'gossip' is not one of the allowed values"),
        ({"kind": "incident", "text": "   "}, 422, "Write what happened"),
    ]
    for body, status, sentence in cases:
        response = _post(client, token, **body)
        assert response.status_code == status, (body, response.text)
        assert sentence in response.json()["detail"], (body, response.json())
    assert client.post("/api/v1/log", content="{not json", headers={"X-CSRF-Token": token,
                                                                    "Content-Type": "application/json"}
                       ).status_code == 422
    page = client.post("/reception/log", data={"kind": "visitor_in", "room": "999999", "csrf_token": token})
    assert page.status_code == 400 and "no room with id 999999" in page.text
    assert _count(place) == 0


def test_filters_by_day_kind_and_room_and_the_day_report(client, place, host):
    token = csrf(client)
    _post(client, token, kind="visitor_in", room_id=place.rooms[1])
    _post(client, token, kind="delivery", text="Towels")
    with place.session() as db_session:  # tomorrow's entry (the host's session would have expired by then)
        service.add_entry(db_session=db_session, kind="visitor_out", room_id=place.rooms[2], text="",
                          author_id=host.id, now=clock.now() + dt.timedelta(days=1))
        db_session.commit()
    today = TODAY.isoformat()
    assert [e["kind"] for e in client.get(f"/api/v1/log?day={today}").json()] == ["delivery", "visitor_in"]
    assert [e["kind"] for e in client.get("/api/v1/log?kind=visitor_out").json()] == ["visitor_out"]
    assert [e["room"] for e in client.get(f"/api/v1/log?room_id={place.rooms[1]}").json()] == [1]
    assert client.get("/api/v1/log?day=2026-02-31").status_code == 422
    assert client.get("/api/v1/log?kind=nonsense").status_code == 422
    page = client.get(f"/reception/log?day={today}&kind=delivery")
    assert page.status_code == 200 and "Towels" in page.text and "rx-entry-visitor_in" not in page.text
    assert client.get("/reception/log?day=yesterday").status_code == 400
    report = client.get(f"/reception/log/report?day={today}")
    assert report.status_code == 200 and "Towels" in report.text and "2 entries" in report.text.replace("\n", " ")


def test_free_text_never_reaches_the_application_logs(client, place, host, caplog):
    token = csrf(client)
    with caplog.at_level(logging.DEBUG):
        assert _post(client, token, kind="incident", text=SECRET_TEXT, room_id=place.rooms[1]).status_code == 201
        client.post("/reception/shift/start", data={"csrf_token": token})
        client.post("/reception/shift/end", data={"note": SECRET_TEXT, "csrf_token": token})
    assert "7c1f" not in caplog.text
    assert any("reception log entry" in record.getMessage() for record in caplog.records)


def test_retention_removes_visitor_entries_after_30_days_and_the_rest_after_a_year(place, host, client):
    from location_ops.privacy.retention import purge

    token = csrf(client)
    old_visitor = _post(client, token, kind="visitor_in", room_id=place.rooms[1]).json()["id"]
    old_note = _post(client, token, kind="note", text="kept a year").json()["id"]
    clock.advance(dt.timedelta(days=31))
    with place.session() as db_session:
        fresh = service.add_entry(db_session=db_session, kind="visitor_in", room_id=place.rooms[1], text="",
                                  author_id=host.id, now=clock.now()).id
        correction = service.add_entry(db_session=db_session, kind="visitor_in", room_id=place.rooms[2], text="",
                                       author_id=host.id, now=clock.now(), corrects_id=old_visitor).id
        db_session.commit()
    with place.session() as db_session:
        counts = purge(db_session=db_session, settings=place.settings)
        assert counts["reception_log_entries.visitors"] == 1
        left = set(db_session.scalars(select(LogEntry.id)))
        assert left == {old_note, fresh, correction}
        assert db_session.get(LogEntry, correction).corrects_id is None
    clock.advance(dt.timedelta(days=340))
    with place.session() as db_session:
        purge(db_session=db_session, settings=place.settings)
        assert old_note not in set(db_session.scalars(select(LogEntry.id)))


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_migration_upgrades_and_downgrades(backend_name, tmp_path, request):
    if backend_name == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"lo_rx_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    engine = make_engine(url)
    try:
        assert {"reception_log_entries", "reception_shifts"} <= set(inspect(engine).get_table_names())
        downgrade(url, "0005")
        assert not any(name.startswith("reception_") for name in inspect(engine).get_table_names())
        upgrade(url)
        assert "reception_log_entries" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_an_empty_entry_shows_the_sentence_at_the_text_field_with_the_choices_kept(client, place, host):
    token = csrf(client)
    page = client.post("/reception/log", data={"_form": "note", "kind": "incident", "room": str(place.rooms[3]),
                                               "text": "   ", "csrf_token": token})
    assert page.status_code == 400
    html = page.text
    error_id = field_id("/reception/log#note-text") + "-error"
    text_input = html.split('name="text"')[1].split(">")[0]
    assert f'aria-describedby="{error_id}"' in text_input and 'aria-invalid="true"' in text_input
    assert f'<span class="field-error" id="{error_id}" role="alert">Write what happened.</span>' in html
    note_form = html.split('id="note-form"')[1].split("</form>")[0]
    assert '<option value="incident" selected>' in note_form
    assert f'<option value="{place.rooms[3]}" selected>3</option>' in note_form
    assert "Reception log" in html and html.count("Write what happened.") == 1  # the log page, said once
    visitor_form = html.split('id="visitor-form"')[1].split("</form>")[0]
    assert "selected" not in visitor_form and "field-error" not in visitor_form
    assert _count(place) == 0


def test_a_refused_correction_stays_on_the_correction_page(client, place, host):
    token = csrf(client)
    original = _post(client, token, kind="note", text="Linen late").json()
    path = f"/reception/log/{original['id']}/correct"
    page = client.post(path, data={"kind": "note", "room": str(place.rooms[2]), "text": "", "csrf_token": token})
    assert page.status_code == 400
    assert f"Correct entry #{original['id']}" in page.text
    assert f'id="{field_id(path + "-text")}-error"' in page.text
    assert f'<option value="{place.rooms[2]}" selected>2</option>' in page.text
    response = client.post(path, data={"kind": "note", "room": "", "text": "Linen came at 11", "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/api/v1/log/{original['id']}").json()["corrected_by"]
