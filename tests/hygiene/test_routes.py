"""Hygiene pages and API: who reaches what, a worker's own room after the shift, bad input."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from markupsafe import escape as _esc

from location_ops.accounts.models import Role
from location_ops.clock import utcnow
from location_ops.hygiene import service
from location_ops.hygiene.models import HygieneHold, HygieneRound, RoundResult, RoundStatus
from tests.hygiene.conftest import add_booking

STAFF_PAGES = ["/hygiene/supplies", "/hygiene/report", "/hygiene/report.csv", "/hygiene/rooms/{room}/history"]


def _csrf(client, path="/hygiene"):
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text).group(1)


def _start(client, room_id, kind="turnover"):
    return client.post(f"/hygiene/rooms/{room_id}/rounds", data={"kind": kind},
                       headers={"X-CSRF-Token": _csrf(client)}, follow_redirects=False)


def _allow_workers(client, on=True, **more):
    client.app.state.settings = client.app.state.settings.model_copy(update={"hygiene_worker_rounds": on, **more})


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SECURITY])
def test_caseworker_and_security_reach_nothing(client, login_as, rooms, role):
    login_as(role)
    room = rooms[1]
    paths = ["/hygiene", "/hygiene/templates", "/hygiene/templates/daily", f"/hygiene/rooms/{room}/rounds/1",
             "/api/v1/hygiene/rounds", "/api/v1/hygiene/rounds/1"] + [p.format(room=room) for p in STAFF_PAGES]
    for path in paths:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 403, path
    token = _csrf(client, "/account")
    assert client.post(f"/hygiene/rooms/{room}/rounds", data={"kind": "turnover"},
                       headers={"X-CSRF-Token": token}).status_code == 403


def test_host_does_a_round_item_by_item_with_htmx(client, login_as, db, rooms, now):
    login_as(Role.HOST)
    service.mark_needs_cleaning(db_session=db, room_id=rooms[1], now=now, by_user_id=None)
    db.commit()
    page = client.get("/hygiene")
    assert "needs cleaning" in page.text or "schoonmaken" in page.text
    response = _start(client, rooms[1])
    assert response.status_code == 303
    url = response.headers["location"]
    hygiene_round = db.get(HygieneRound, int(url.rsplit("/", 1)[1]))
    items = hygiene_round.template.items
    db.commit()  # end the read: on SQLite an open transaction holds the write lock
    token = _csrf(client, url)
    paused = client.post(f"{url}/pause", headers={"X-CSRF-Token": token}, follow_redirects=False)
    db.expire_all()
    assert paused.status_code == 303 and db.get(HygieneRound, hygiene_round.id).status == RoundStatus.PAUSED
    db.commit()
    assert "(paused)" in client.get("/hygiene").text
    resumed = client.post(f"{url}/resume", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert resumed.status_code == 303
    db.expire_all()
    assert db.get(HygieneRound, hygiene_round.id).status == RoundStatus.IN_PROGRESS
    db.commit()
    for item in items:
        swap = client.post(f"{url}/items/{item.id}", data={"result": "ok"},
                           headers={"X-CSRF-Token": token, "HX-Request": "true"})
        assert swap.status_code == 200 and f'id="item-{item.id}"' in swap.text and 'hx-swap-oob="true"' in swap.text
    done = client.post(f"{url}/complete", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/hygiene?done=1"
    db.expire_all()
    stored = db.get(HygieneRound, hygiene_round.id)
    assert stored.status == RoundStatus.COMPLETED and stored.done_by_role == "host" and stored.done_by_id
    db.commit()
    again = client.post(f"{url}/complete", headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and "already completed" in again.text
    assert client.post(f"{url}/pause", headers={"X-CSRF-Token": token}).status_code == 409


def test_bad_input_gets_clear_4xx_and_writes_nothing(client, login_as, db, rooms, now):
    login_as(Role.HOST)
    url = _start(client, rooms[1]).headers["location"]
    round_id = int(url.rsplit("/", 1)[1])
    other_url = _start(client, rooms[2], "daily").headers["location"]
    other_round = db.get(HygieneRound, int(other_url.rsplit("/", 1)[1]))
    foreign_item = other_round.template.items[-1].id
    db.commit()
    token = _csrf(client, url)
    headers = {"X-CSRF-Token": token}
    # An item of another checklist.
    response = client.post(f"{url}/items/{foreign_item}", data={"result": "ok"}, headers=headers)
    assert response.status_code == 404 and "not on this round" in response.text
    # Another room's round under this room's address.
    response = client.post(f"/hygiene/rooms/{rooms[1]}/rounds/{other_round.id}/items/{foreign_item}",
                           data={"result": "ok"}, headers=headers)
    assert response.status_code == 404 and "not a round of room 1" in response.text
    assert client.get(f"/hygiene/rooms/{rooms[1]}/rounds/{other_round.id}").status_code == 404
    # A problem without a note: the item comes back with the sentence (htmx swaps it in place).
    item = db.get(HygieneRound, round_id).template.items[0]
    db.commit()
    response = client.post(f"{url}/items/{item.id}", data={"result": "failed", "note": "", "out_of_service": "1"},
                           headers={**headers, "HX-Request": "true"})
    assert response.status_code == 400 and f'id="item-{item.id}"' in response.text and "note" in response.text
    response = client.post(f"{url}/items/{item.id}", data={"result": "maybe"}, headers=headers)
    assert response.status_code == 400
    # Completing with items unanswered.
    response = client.post(f"{url}/complete", headers=headers)
    assert response.status_code == 400 and "still need an answer" in response.text
    db.expire_all()
    assert db.query(RoundResult).count() == 0 and db.query(HygieneHold).count() == 0
    assert db.get(HygieneRound, round_id).status == RoundStatus.IN_PROGRESS
    db.commit()
    assert _start(client, 999999).status_code == 404
    assert _start(client, rooms[1], "monthly").status_code == 400


def test_worker_does_own_room_after_shift_only_when_allowed(client, login_as, make_user, db, rooms, now):
    worker = login_as(Role.WORKER)
    other = make_user(Role.WORKER)
    # The worker had room 1 until 08:00; another worker had room 2 until 08:30; room 3 runs until 18:00.
    add_booking(db, room_id=rooms[1], worker_id=worker.id, starts_at=now - dt.timedelta(hours=10),
                ends_at=now - dt.timedelta(hours=1))
    add_booking(db, room_id=rooms[2], worker_id=other.id, starts_at=now - dt.timedelta(hours=10),
                ends_at=now - dt.timedelta(minutes=30))
    add_booking(db, room_id=rooms[3], worker_id=worker.id, starts_at=now - dt.timedelta(hours=20),
                ends_at=now - dt.timedelta(hours=19))
    add_booking(db, room_id=rooms[3], worker_id=make_user(Role.WORKER).id, starts_at=now - dt.timedelta(hours=1),
                ends_at=now + dt.timedelta(hours=9))

    # Switched off (the default): nothing to do, and no round can be started.
    page = client.get("/hygiene")
    assert page.status_code == 200 and "/hygiene/rooms/" not in page.text
    assert _start(client, rooms[1]).status_code == 404
    assert client.get("/api/v1/hygiene/rounds").status_code == 403

    _allow_workers(client)
    page = client.get("/hygiene")
    assert f"/hygiene/rooms/{rooms[1]}/rounds" in page.text and f"/hygiene/rooms/{rooms[2]}/" not in page.text
    response = _start(client, rooms[1])
    assert response.status_code == 303
    url = response.headers["location"]
    assert client.get(url).status_code == 200
    # Not another worker's room, not a room someone else has now, not a daily round, not the staff pages.
    assert _start(client, rooms[2]).status_code == 404
    assert _start(client, rooms[3]).status_code == 404
    assert _start(client, rooms[1], "daily").status_code == 403
    assert client.get(f"/hygiene/rooms/{rooms[1]}/history").status_code == 403
    assert client.get("/hygiene/report").status_code == 403
    staff_round = service.start_round(db_session=db, room_id=rooms[2], kind="turnover",
                                      actor=service.Actor(Role.HOST, make_user(Role.HOST).id), now=now)
    db.commit()
    assert client.get(f"/hygiene/rooms/{rooms[2]}/rounds/{staff_round.id}").status_code == 404
    assert client.get(f"/api/v1/hygiene/rounds/{staff_round.id}").status_code == 404
    listed = client.get("/api/v1/hygiene/rounds").json()
    assert [r["room_number"] for r in listed] == [1]
    assert client.get(f"/api/v1/hygiene/rounds?room_id={rooms[2]}").status_code == 404

    # The worker finishes the round: the record says "worker", never who.
    token = _csrf(client, url)
    round_id = int(url.rsplit("/", 1)[1])
    round_items = db.get(HygieneRound, round_id).template.items
    db.commit()
    for item in round_items:
        assert client.post(f"{url}/items/{item.id}", data={"result": "ok"},
                           headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303
    assert client.post(f"{url}/complete", headers={"X-CSRF-Token": token},
                       follow_redirects=False).status_code == 303
    db.expire_all()
    done = db.get(HygieneRound, round_id)
    assert done.done_by_role == "worker" and done.done_by_id is None
    assert {r.by_id for r in done.results} == {None}
    db.commit()

    # After the window the room is no longer theirs to do.
    _allow_workers(client, hygiene_worker_window_hours=0)
    assert client.get(url).status_code == 404


def test_rounds_api_lists_by_room_and_day(client, login_as, db, rooms, now):
    login_as(Role.HOST)
    _start(client, rooms[1])
    _start(client, rooms[2], "daily")
    listed = client.get(f"/api/v1/hygiene/rounds?room_id={rooms[1]}&date=2026-11-16")
    assert listed.status_code == 200
    rounds = listed.json()
    assert [(r["room_number"], r["kind"], r["status"], r["template_version"]) for r in rounds] == [
        (1, "turnover", "in_progress", 1)]
    assert rounds[0]["items_total"] == 10 and rounds[0]["done_by"] == ""
    assert client.get("/api/v1/hygiene/rounds?date=2026-11-15").json() == []
    assert len(client.get("/api/v1/hygiene/rounds").json()) == 2
    bad = client.get("/api/v1/hygiene/rounds?date=16-11-2026")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["detail"]
    assert client.get("/api/v1/hygiene/rounds?room_id=999999").status_code == 404
    detail = client.get(f"/api/v1/hygiene/rounds/{rounds[0]['id']}").json()
    assert detail["results"] == [] and detail["room_id"] == rooms[1]


def test_staff_pages_render_and_operator_edits_a_checklist(client, login_as, db, rooms):
    login_as(Role.OPERATOR)  # real clock: the one-time code is from now
    now = utcnow()
    for path in ["/hygiene", "/hygiene/supplies", "/hygiene/report", f"/hygiene/rooms/{rooms[1]}/history",
                 f"/hygiene/rooms/{rooms[1]}/history?date=2026-11-16", "/hygiene/templates",
                 "/hygiene/templates/turnover"]:
        assert client.get(path).status_code == 200, path
    assert client.get("/hygiene/report?month=2026-13").status_code == 400
    assert client.get(f"/hygiene/rooms/{rooms[1]}/history?date=yesterday").status_code == 400
    assert client.get("/hygiene/templates/monthly").status_code == 404
    csv_response = client.get("/hygiene/report.csv?month=2026-11")
    assert csv_response.status_code == 200 and csv_response.headers["content-type"].startswith("text/csv")
    assert csv_response.text.splitlines()[0].startswith("section,room,kind")

    form = client.get("/hygiene/templates/turnover").text
    keys = re.findall(r'name="key" value="([^"]*)"', form)
    nl = re.findall(r'name="text_nl" maxlength="200"(?: value="([^"]*)")?', form)
    en = re.findall(r'name="text_en" maxlength="200"(?: value="([^"]*)")?', form)
    assert len(keys) == len(nl) == len(en) == 13
    nl[-3], en[-3] = "Spiegel gepoetst", "Mirror polished"
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
            "key": keys, "text_nl": nl, "text_en": en, "remove": ["0"], "supply": ["4"]}
    saved = client.post("/hygiene/templates/turnover", data=data, follow_redirects=False)
    assert saved.status_code == 303
    template = service.current_template(db_session=db, kind="turnover", now=now)
    assert template.version == 2 and template.items[-1].text_en == "Mirror polished"
    assert "linen" not in [item.key for item in template.items]
    assert [item.key for item in template.items if item.supply] == ["condoms"]
    db.commit()
    empty = {**data, "text_nl": [""] * 13, "text_en": [""] * 13}
    refused = client.post("/hygiene/templates/turnover", data=empty)
    assert refused.status_code == 400 and "at least one item" in refused.text


def test_host_cannot_edit_templates(client, login_as):
    login_as(Role.HOST)
    assert client.get("/hygiene/templates").status_code == 403


def test_finishing_too_early_names_the_open_items_once_and_links_the_first(client, login_as, db, rooms, now):
    login_as(Role.HOST)
    response = _start(client, rooms[1])
    url = response.headers["location"].split("#")[0]
    round_id = int(url.rsplit("/", 1)[1])
    items = db.get(HygieneRound, round_id).template.items
    first, second = items[0], items[1]
    names = [item.text("en") for item in items]
    db.commit()
    token = _csrf(client, url)
    response = client.post(f"{url}/items/{first.id}", data={"result": "ok"}, headers={"X-CSRF-Token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    response = client.post(f"{url}/complete", headers={"X-CSRF-Token": token})
    assert response.status_code == 400
    page = response.text
    assert page.count("still need an answer") == 1
    assert 'class="error" role="alert"' not in page.split('class="hy-items"')[1]  # no error per item
    assert "hy-problem-body" not in page and "hy-item-problem" not in page  # no problem form opened
    block = page.split('id="round-open-items"')[1].split("</section>")[0]
    assert names[0] not in block and all(name in block for name in names[1:])
    assert f'href="#item-{second.id}">{_esc(names[1])}' in block
    assert f'class="button secondary" href="#item-{second.id}"' in block
