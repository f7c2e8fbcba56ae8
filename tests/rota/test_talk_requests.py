"""Talk requests: only the worker who asked and the caseworker it is for ever see one."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from location_ops.clock import LOCAL_TZ, clock
from location_ops.privacy import retention
from location_ops.rota import service
from location_ops.rota.models import TalkRequest
from tests.conftest import csrf_from
from tests.rota.conftest import MONDAY

NOTE = "Worried about my landlord — secret-note-7f3a"
DENIED = "You do not have access to this page."


def _ask(client, headers, visit_id, day=MONDAY, topics=("housing", "money_tax"), note=NOTE):
    return client.post("/api/v1/talk-requests", headers=headers,
                       json={"visit_id": visit_id, "date": day.isoformat(), "topics": list(topics), "note": note})


def _count(db) -> int:
    db.expire_all()
    count = db.scalar(select(func.count()).select_from(TalkRequest))
    db.rollback()  # end the read: on SQLite an open transaction holds the write lock
    return count


@pytest.fixture
def asked(client, tokens, plan, frozen):
    """A worker asked the caseworker for a talk at Monday's 14:00 visit."""
    caseworker, cw_headers = tokens("caseworker")
    visit_id = plan(caseworker, weekday=0, name="Sanne")
    worker, worker_headers = tokens("worker", "roos")
    response = _ask(client, worker_headers, visit_id)
    assert response.status_code == 201, response.text
    return {"visit_id": visit_id, "talk": response.json(), "caseworker": caseworker, "cw": cw_headers,
            "worker": worker, "wk": worker_headers}


def test_the_worker_and_the_caseworker_see_the_request(client, asked):
    own = client.get("/api/v1/talk-requests", headers=asked["wk"]).json()
    assert [(t["id"], t["topics"], t["note"], t["caseworker"]) for t in own] == [
        (asked["talk"]["id"], ["housing", "money_tax"], NOTE, "Sanne")]
    assert own[0]["worker"] is None
    assert own[0]["starts_at"] == "2026-10-19T12:00:00Z"  # 14:00 CEST
    addressed = client.get("/api/v1/talk-requests", headers=asked["cw"]).json()
    assert [(t["id"], t["worker"], t["note"]) for t in addressed] == [(asked["talk"]["id"], "roos", NOTE)]


def test_host_operator_and_security_cannot_read_talk_requests(client, asked, tokens, login_as):
    talk_id = asked["talk"]["id"]
    for role in ("host", "operator", "security"):
        _user, headers = tokens(role)
        for path in ("/api/v1/talk-requests", f"/api/v1/talk-requests/{talk_id}"):
            response = client.get(path, headers=headers)
            assert response.status_code == 403 and NOTE not in response.text, (role, path)
        assert client.post(f"/api/v1/talk-requests/{talk_id}/withdraw", headers=headers).status_code == 403
    clock.reset()  # the login's one-time code is checked against the real time
    for role in ("host", "operator", "security"):
        client.cookies.clear()
        login_as(role)
        page = client.get("/rota/talks")
        assert page.status_code == 403 and DENIED in page.text and NOTE not in page.text
        if role != "security":
            rota = client.get("/rota")
            assert rota.status_code == 200 and "Sanne" in rota.text
            assert "roos" not in rota.text and NOTE not in rota.text and "money_tax" not in rota.text


def test_another_caseworker_and_another_worker_get_404(client, asked, tokens, login_as):
    talk_id = asked["talk"]["id"]
    for role in ("caseworker", "worker"):
        _user, headers = tokens(role)
        assert client.get("/api/v1/talk-requests", headers=headers).json() == []
        response = client.get(f"/api/v1/talk-requests/{talk_id}", headers=headers)
        assert response.status_code == 404 and NOTE not in response.text
        assert client.post(f"/api/v1/talk-requests/{talk_id}/withdraw", headers=headers).status_code == 404
    login_as("caseworker")
    page = client.get("/rota/talks")
    assert page.status_code == 200 and NOTE not in page.text and "roos" not in page.text
    assert client.get(f"/api/v1/talk-requests/{talk_id}", headers=asked["cw"]).status_code == 200


def test_the_caseworker_page_shows_the_request(client, asked, login_as, db):
    from tests.conftest import login

    assert login(client, asked["caseworker"].username).status_code == 303
    page = client.get("/rota/talks")
    assert page.status_code == 200 and NOTE in page.text and "roos" in page.text


def test_withdrawn_request_is_gone_from_the_database(client, asked, db):
    talk_id = asked["talk"]["id"]
    assert _count(db) == 1
    response = client.post(f"/api/v1/talk-requests/{talk_id}/withdraw", headers=asked["wk"])
    assert response.status_code == 204
    assert _count(db) == 0
    assert client.get("/api/v1/talk-requests", headers=asked["cw"]).json() == []
    assert client.post(f"/api/v1/talk-requests/{talk_id}/withdraw", headers=asked["wk"]).status_code == 404


def test_withdraw_through_the_page(client, asked, db, login_as):
    from tests.conftest import login

    assert login(client, asked["worker"].username).status_code == 303
    page = client.get("/rota")
    assert "You asked for a talk" in page.text
    response = client.post(f"/rota/talks/{asked['talk']['id']}/withdraw", data={"csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert _count(db) == 0


def test_requests_are_purged_seven_days_after_the_visit(client, asked, settings, db):
    # The visit ends Monday 19 October 16:00 CEST (14:00 UTC); seven days of 24 hours later is
    # 26 October 15:00 CET, the clocks having gone back in between.
    clock.freeze(dt.datetime(2026, 10, 26, 14, 59, tzinfo=LOCAL_TZ))
    counts = retention.purge(db_session=db, settings=settings)
    assert counts["talk_requests"] == 0 and _count(db) == 1
    clock.freeze(dt.datetime(2026, 10, 26, 15, 1, tzinfo=LOCAL_TZ))
    counts = retention.purge(db_session=db, settings=settings)
    assert counts["talk_requests"] == 1 and _count(db) == 0


def test_a_moved_visit_moves_the_purge_date(client, asked, settings, db):
    from location_ops.accounts.models import User

    caseworker = db.get(User, asked["caseworker"].id)
    service.add_change(db_session=db, actor=caseworker, visit_id=asked["visit_id"], kind="moved",
                       on_date=MONDAY, new_date=MONDAY + dt.timedelta(days=3))
    db.commit()
    clock.freeze(dt.datetime(2026, 10, 27, 12, tzinfo=LOCAL_TZ))  # 8 days after Monday, 5 after Thursday
    retention.purge(db_session=db, settings=settings)
    assert _count(db) == 1
    listed = client.get("/api/v1/talk-requests", headers=asked["cw"])
    assert listed.status_code in (200, 401)  # the frozen token may have expired; the row is what counts


def test_bad_requests_write_nothing(client, tokens, plan, frozen, db, login_as):
    caseworker, _cw = tokens("caseworker")
    visit_id = plan(caseworker, weekday=0)
    _worker, headers = tokens("worker")
    with db.begin():
        service.add_change(db_session=db, actor=db.get(type(caseworker), caseworker.id), visit_id=visit_id,
                           kind="cancelled", on_date=MONDAY + dt.timedelta(weeks=1), reason="ill")
    cases = [
        ({"date": (MONDAY - dt.timedelta(weeks=1)).isoformat()}, 409, "already taken place"),
        ({"date": (MONDAY + dt.timedelta(weeks=1)).isoformat()}, 409, "cancelled"),
        ({"topics": ["horoscope"]}, 422, "'horoscope' is not one of the allowed values"),
        ({"topics": []}, 422, "'topics' is too short"),  # minItems 1, refused by the declaration
        ({"date": (MONDAY + dt.timedelta(days=1)).isoformat()}, 404, "no visit on that date"),
        ({"visit_id": 999999}, 404, "no visit"),
        ({"date": "someday"}, 422, "date"),
        ({"note": "x" * 1001}, 422, "'note' is too long"),  # maxLength 1000, refused by the declaration
    ]
    for override, status, sentence in cases:
        body = {"visit_id": visit_id, "date": MONDAY.isoformat(), "topics": ["health"], "note": "", **override}
        response = client.post("/api/v1/talk-requests", headers=headers, json=body)
        assert response.status_code == status, (override, response.text)
        assert sentence in response.json()["detail"], (override, response.text)
    assert _count(db) == 0
    # A caseworker cannot ask; asking twice is a conflict, not a second row.
    assert _ask(client, _cw, visit_id).status_code == 403
    assert _ask(client, headers, visit_id).status_code == 201
    again = _ask(client, headers, visit_id)
    assert again.status_code == 409 and "already asked" in again.json()["detail"]
    assert _count(db) == 1


def test_the_page_form_refuses_an_unknown_topic_with_a_sentence(client, tokens, plan, frozen, login_as, db):
    caseworker, _cw = tokens("caseworker")
    visit_id = plan(caseworker, weekday=0)
    login_as("worker")
    form = client.get(f"/rota/talk?visit={visit_id}&date={MONDAY.isoformat()}")
    assert form.status_code == 200 and "Money and tax" in form.text
    response = client.post("/rota/talks", data={"csrf_token": csrf_from(form.text), "visit_id": visit_id,
                                                "date": MONDAY.isoformat(), "topics": ["horoscope"], "note": NOTE})
    assert response.status_code == 400 and "Unknown topic" in response.text
    assert _count(db) == 0
    response = client.post("/rota/talks", data={"csrf_token": csrf_from(form.text), "visit_id": visit_id,
                                                "date": MONDAY.isoformat(), "topics": ["health", "just_chat"]},
                           follow_redirects=False)
    assert response.status_code == 303 and _count(db) == 1
    assert client.get("/rota/talk?visit=1&date=tomorrow").status_code == 400
    past = client.get(f"/rota/talk?visit={visit_id}&date={(MONDAY - dt.timedelta(weeks=1)).isoformat()}")
    assert past.status_code == 409 and "already taken place" in past.text and 'id="talk-form"' not in past.text


def test_the_note_is_never_logged(client, tokens, plan, frozen, caplog):
    caseworker, cw = tokens("caseworker")
    visit_id = plan(caseworker, weekday=0)
    worker, headers = tokens("worker", "lila")
    with caplog.at_level(logging.DEBUG):
        talk = _ask(client, headers, visit_id).json()
        client.get("/api/v1/talk-requests", headers=cw)
        client.post(f"/api/v1/talk-requests/{talk['id']}/withdraw", headers=headers)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert f"talk request {talk['id']}" in text
    assert NOTE not in text and "lila" not in text


def test_a_note_too_long_shows_the_talk_form_again_with_the_note_kept(client, tokens, plan, frozen, login_as, db):
    caseworker, _cw = tokens("caseworker")
    visit_id = plan(caseworker, weekday=0)
    login_as("worker")
    form = client.get(f"/rota/talk?visit={visit_id}&date={MONDAY.isoformat()}")
    response = client.post("/rota/talks", headers={"Accept-Language": "en"}, data={
        "csrf_token": csrf_from(form.text), "visit_id": visit_id, "date": MONDAY.isoformat(),
        "topics": ["health"], "note": "x" * 5001})
    # The talk form of that visit (forms.redisplay with the page the route declares), not the list.
    assert response.status_code == 400 and 'id="talk-form"' in response.text
    assert "is too long: at most 5000 characters." in response.text
    assert _count(db) == 0
