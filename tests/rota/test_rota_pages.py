"""The rota as pages and JSON: who sees what, editing own visits, the calendar feed, announcements."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from location_ops.rota.models import Visit
from location_ops.web import field_id
from tests.conftest import csrf_from, login
from tests.rota.conftest import MONDAY


def test_api_rota_week_lists_visits_with_local_and_utc_times(client, tokens, plan, frozen):
    caseworker, _cw = tokens("caseworker")
    plan(caseworker, weekday=6, name="Sanne")  # Sundays; 25 Oct 2026 is the DST change
    _worker, headers = tokens("worker")
    week = client.get("/api/v1/rota?week=2026-W43", headers=headers).json()
    assert week["week"] == "2026-W43" and week["starts_on"] == "2026-10-19" and week["ends_on"] == "2026-10-25"
    [visit] = week["visits"]
    assert (visit["day"], visit["local_start"], visit["local_end"]) == ("2026-10-25", "14:00", "16:00")
    assert visit["starts_at"] == "2026-10-25T13:00:00Z"
    assert visit["caseworker"]["name"] == "Sanne" and visit["caseworker"]["languages"] == ["nl", "ro"]
    earlier = client.get("/api/v1/rota?week=2026-W42", headers=headers).json()
    assert earlier["visits"][0]["starts_at"] == "2026-10-18T12:00:00Z"
    this_week = client.get("/api/v1/rota", headers=headers).json()
    assert this_week["week"] == "2026-W43"


def test_host_sees_names_and_times_only(client, tokens, plan, frozen):
    caseworker, _cw = tokens("caseworker")
    plan(caseworker, weekday=0, name="Sanne")
    _host, headers = tokens("host")
    [visit] = client.get("/api/v1/rota?week=2026-W43", headers=headers).json()["visits"]
    assert visit["caseworker"]["name"] == "Sanne" and visit["local_start"] == "14:00"
    assert visit["caseworker"]["introduction"] is None and visit["caseworker"]["languages"] is None
    assert visit["my_talk_request_id"] is None


def test_bad_week_is_a_clear_4xx(client, tokens, login_as):
    _worker, headers = tokens("worker")
    response = client.get("/api/v1/rota?week=2026-W99", headers=headers)
    assert response.status_code == 422 and "YYYY-Www" in response.json()["detail"]
    login_as("worker")
    page = client.get("/rota?week=next-tuesday")
    assert page.status_code == 400 and "YYYY-Www" in page.text


def test_security_has_no_rota(client, tokens):
    _security, headers = tokens("security")
    assert client.get("/api/v1/rota", headers=headers).status_code == 403


def test_caseworkers_edit_their_own_visits_only_and_operators_all(client, make_user, plan, frozen, db, login_as):
    other = make_user("caseworker")
    others_visit = plan(other, weekday=2)
    me = login_as("caseworker")
    page = client.get("/rota/manage")
    assert page.status_code == 200
    token = csrf_from(page.text)
    response = client.post("/rota/visits", data={"csrf_token": token, "weekday": "3", "starts_at": "14:00",
                                                 "ends_at": "16:00", "organisation": "Belle"}, follow_redirects=False)
    assert response.status_code == 303
    mine = db.scalar(select(Visit).where(Visit.caseworker_id == me.id))
    assert mine is not None and mine.starts_at == dt.time(14)
    mine_id = mine.id
    db.rollback()  # end the read: on SQLite an open transaction holds the write lock
    # Another caseworker's visit: not found, and it stays as it was.
    response = client.post(f"/rota/visits/{others_visit}/changes",
                           data={"csrf_token": token, "kind": "cancelled", "on_date": "2026-10-21"})
    assert response.status_code == 404
    response = client.post(f"/rota/visits/{others_visit}/end", data={"csrf_token": token})
    assert response.status_code == 404
    # Planning a visit for someone else is refused.
    response = client.post("/rota/visits", data={"csrf_token": token, "weekday": "3", "starts_at": "10:00",
                                                 "ends_at": "12:00", "caseworker_id": str(other.id)})
    assert response.status_code == 403 and "own visits" in response.text
    # Nonsense is a sentence, not a 500.
    response = client.post("/rota/visits", data={"csrf_token": token, "weekday": "3", "starts_at": "16:00",
                                                 "ends_at": "14:00"})
    assert response.status_code == 400 and "end after it starts" in response.text
    response = client.post("/rota/visits", data={"csrf_token": token, "weekday": "3", "starts_at": "teatime",
                                                 "ends_at": "14:00"})
    assert response.status_code == 400 and "HH:MM" in response.text
    # Cancelling my own Thursday works and shows as cancelled with its reason.
    response = client.post(f"/rota/visits/{mine_id}/changes", data={
        "csrf_token": token, "kind": "cancelled", "on_date": "2026-10-22", "reason": "Course"}, follow_redirects=False)
    assert response.status_code == 303
    rota = client.get("/rota").text
    assert "Course" in rota and "is-cancelled" in rota
    # An operator may cancel the other caseworker's visit.
    client.post("/logout", data={"csrf_token": csrf_from(rota)})
    operator_token = _operator_session(client, make_user)
    response = client.post(f"/rota/visits/{others_visit}/changes", data={
        "csrf_token": operator_token, "kind": "cancelled", "on_date": "2026-10-21", "reason": "Strike"},
        follow_redirects=False)
    assert response.status_code == 303
    assert db.scalar(select(func.count()).select_from(Visit)) == 2
    db.rollback()


def _operator_session(client, make_user) -> str:
    import pyotp

    from location_ops.accounts.models import User
    from location_ops.clock import clock

    operator = make_user("operator")
    secret = pyotp.random_base32()
    with client.app.state.sessionmaker() as db_session:
        stored = db_session.get(User, operator.id)
        stored.mfa_secret, stored.mfa_enabled = secret, True
        db_session.commit()
    response = login(client, operator.username)
    mfa = client.get(response.headers["location"])
    response = client.post("/login/mfa", data={"code": pyotp.TOTP(secret).at(clock.now()),
                                               "csrf_token": csrf_from(mfa.text)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/rota/manage").text)


def test_calendar_feed_is_secret_neutral_and_revocable(client, frozen, login_as, plan):
    me = login_as("caseworker")
    plan(me, weekday=6)
    token = csrf_from(client.get("/rota/manage").text)
    page = client.post("/rota/feed", data={"csrf_token": token})
    assert page.status_code == 200
    url = page.text.split('id="feed-url">')[1].split("<")[0]
    path = url.split("testserver")[1]
    anonymous = client.__class__(client.app, base_url="http://testserver")
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    body = feed.text
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261025T130000Z" in body and "DTSTART:20261018T120000Z" in body  # 14:00 both sides of DST
    assert "SUMMARY:Visit" in body or "SUMMARY:Bezoek" in body
    assert me.username not in body
    # A new address retires the old one; revoking ends the feed.
    client.post("/rota/feed", data={"csrf_token": token})
    assert anonymous.get(path).status_code == 404
    client.post("/rota/feed/revoke", data={"csrf_token": token})
    assert anonymous.get("/rota/feed/not-a-token.ics").status_code == 404


def test_caseworker_profile_is_what_workers_see(client, frozen, login_as, make_user, plan, tokens):
    me = login_as("caseworker")
    plan(me, weekday=0)
    token = csrf_from(client.get("/rota/profile").text)
    response = client.post("/rota/profile", data={
        "csrf_token": token, "display_name": "Fatima", "introduction": "Bookkeeper who knows opting-in.",
        "languages": ["nl", "ar"], "organisation": "Belle"}, follow_redirects=False)
    assert response.status_code == 303
    _worker, headers = tokens("worker")
    [visit] = client.get("/api/v1/rota?week=2026-W43", headers=headers).json()["visits"]
    assert visit["caseworker"] == {"id": me.id, "name": "Fatima", "organisation": "Belle",
                                   "introduction": "Bookkeeper who knows opting-in.", "languages": ["nl", "ar"]}
    bad = client.post("/rota/profile", data={"csrf_token": token, "display_name": "", "languages": ["klingon"]})
    assert bad.status_code == 400


def test_announcements_reach_workers_on_the_rota_and_the_start_partial(client, frozen, login_as, tokens):
    login_as("caseworker")
    token = csrf_from(client.get("/rota/manage").text)
    response = client.post("/rota/announcements", data={
        "csrf_token": token, "title": "Easter lunch", "body": "Thursday from 12:30 in the kitchen.",
        "show_until": (MONDAY + dt.timedelta(days=10)).isoformat()}, follow_redirects=False)
    assert response.status_code == 303
    assert client.post("/rota/announcements", data={"csrf_token": token, "title": " "}).status_code == 400
    worker = client.__class__(client.app, base_url="http://testserver")
    user, _headers = tokens("worker")
    assert login(worker, user.username).status_code == 303
    assert "Easter lunch" in worker.get("/rota").text
    partial = worker.get("/rota/start", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "Easter lunch" in partial.text and "<html" not in partial.text
    from location_ops.clock import clock

    clock.advance(dt.timedelta(days=11))
    assert "Easter lunch" not in worker.get("/rota/start").text


def test_a_refused_visit_keeps_the_day_and_times_and_says_why_at_the_field(client, frozen, login_as):
    login_as("caseworker")
    token = csrf_from(client.get("/rota/manage").text)
    data = {"csrf_token": token, "weekday": "4", "starts_at": "17:30", "ends_at": "17:00",
            "organisation": "Belle", "valid_from": "2026-11-02"}
    page = client.post("/rota/visits", data=data)
    assert page.status_code == 400
    form = page.text.split('id="visit-form"')[1].split("</form>")[0]
    assert '<option value="4" selected>' in form and 'selected' not in form.split('<option value="4"')[0]
    for name, value in (("starts_at", "17:30"), ("ends_at", "17:00"), ("organisation", "Belle"),
                        ("valid_from", "2026-11-02")):
        assert f'name="{name}" value="{value}"' in form, name
    error_id = field_id("/rota/visits-ends_at") + "-error"
    assert f'aria-describedby="{error_id}"' in form.split('name="ends_at"')[1].split(">")[0]
    assert f'id="{error_id}" role="alert">The visit must end after it starts' in form
    assert page.text.count("The visit must end after it starts") == 1
    with client.app.state.sessionmaker() as db_session:
        assert db_session.scalar(select(func.count(Visit.id))) == 0
    # The declared parsing's refusal (a weekday out of range) is shown the same way, values kept.
    page = client.post("/rota/visits", data={**data, "weekday": "9", "ends_at": "18:00"})
    assert page.status_code == 400
    form = page.text.split('id="visit-form"')[1].split("</form>")[0]
    assert 'aria-invalid="true"' in form.split('name="weekday"')[1].split(">")[0]
    assert 'name="starts_at" value="17:30"' in form and 'name="ends_at" value="18:00"' in form
