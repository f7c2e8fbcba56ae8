"""Worker, host and operator pages: book in two taps, cancel terms, overviews, the privacy walk."""

from __future__ import annotations

import datetime as dt
import re

from location_ops.bookings import service
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import clock
from location_ops.config import Settings
from tests.conftest import csrf_from, login
from tests.rentals.conftest import NOW, TODAY, TOMORROW


def _login_worker(client, rentals, name="roosje", **contract):
    worker = rentals.worker(name, **contract)
    assert login(client, name).status_code == 303
    return worker


def test_worker_books_from_the_grid_and_cancels_for_free(client, rentals):
    rooms = rentals.rooms(3)
    _login_worker(client, rentals)
    page = client.get(f"/book?day={TOMORROW}")
    assert page.status_code == 200
    assert page.text.count('class="button book"') == 6  # 3 rooms × 2 shifts, all free
    assert "<title>Planner</title>" in page.text and 'id="quick-exit"' in page.text
    link = f'/book/confirm?room_id={rooms[1].id}&amp;day={TOMORROW}&amp;shift=evening'
    assert link in page.text  # tap 1 asks first, with the price
    confirm = client.get(link.replace("&amp;", "&"))
    assert confirm.status_code == 200 and 'data-price="12000"' in confirm.text
    response = client.post("/book", data={"csrf_token": csrf_from(confirm.text), "room_id": rooms[1].id,
                                          "day": str(TOMORROW), "shift": "evening"}, follow_redirects=False)
    assert response.status_code == 303
    grid = client.get(response.headers["location"])
    # Her own room, and the other rooms' evening shift she cannot book as well: one room at a time.
    assert "slot-mine" in grid.text and grid.text.count('class="button book"') == 3
    assert grid.text.count("slot-own_overlap") == 2 and "You have room 2 then" in grid.text
    mine = client.get("/bookings")
    booking_id = int(re.search(r'/bookings/(\d+)/cancel', mine.text).group(1))
    confirm = client.get(f"/bookings/{booking_id}/cancel")
    assert "free" in confirm.text.lower()
    done = client.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": csrf_from(confirm.text)},
                       follow_redirects=False)
    assert done.status_code == 303
    assert client.get(f"/book?day={TOMORROW}").text.count('class="button book"') == 6


def test_after_the_deadline_the_cancel_page_says_what_the_contract_charges(client, rentals, app, settings):
    room, = rentals.rooms(1)
    worker = rentals.worker("roosje", late_cancel_percent=50)
    with app.state.sessionmaker() as db_session:
        booking = service.book(db_session=db_session, settings=settings, worker=worker, room_id=room.id,
                               day=TOMORROW, shift="evening")  # € 120, starts in 33 h
        db_session.commit()
    clock.freeze(NOW + dt.timedelta(hours=12))  # 21 h before the start: past the 24 h deadline
    assert login(client, "roosje").status_code == 303
    client.cookies.set("lo_lang", "en")
    page = client.get(f"/bookings/{booking.id}/cancel")
    assert "Your contract charges 50% of the price: €60.00" in page.text
    assert "Cancel and pay €60.00" in page.text


def test_a_taken_slot_on_the_page_is_a_409_with_a_sentence(client, rentals, app, settings):
    room, = rentals.rooms(1)
    other = rentals.worker("someone-else")
    with app.state.sessionmaker() as db_session:
        service.book(db_session=db_session, settings=settings, worker=other, room_id=room.id, day=TOMORROW,
                     shift="day")
        db_session.commit()
    _login_worker(client, rentals)
    client.cookies.set("lo_lang", "en")
    page = client.get(f"/book?day={TOMORROW}")
    response = client.post("/book", data={"csrf_token": csrf_from(page.text), "room_id": room.id,
                                          "day": str(TOMORROW), "shift": "day"})
    assert response.status_code == 409
    assert "Room 1 is already taken" in response.text
    assert "someone-else" not in response.text
    bad = client.post("/book", data={"csrf_token": csrf_from(page.text), "room_id": room.id,
                                     "day": "2026-02-31", "shift": "day"})
    assert bad.status_code == 400 and "not a date" in bad.text


def test_worker_without_contract_sees_the_reason_and_cannot_book(client, rentals):
    room, = rentals.rooms(1)
    _login_worker(client, rentals, contract=None)
    client.cookies.set("lo_lang", "en")
    page = client.get(f"/book?day={TOMORROW}")
    response = client.post("/book", data={"csrf_token": csrf_from(page.text), "room_id": room.id,
                                          "day": str(TOMORROW), "shift": "day"})
    assert response.status_code == 403 and "active contract" in response.text


def test_house_rules_are_accepted_in_the_app_with_version_and_time(client, rentals, app):
    from location_ops.contracts import service as contracts_service

    rentals.rooms(1)
    worker = _login_worker(client, rentals)
    with app.state.sessionmaker() as db_session:
        contracts_service.publish_house_rules(db_session=db_session, text="Rule one.\nRule two.")
        db_session.commit()
    page = client.get("/contract")
    assert "Rule two." in page.text
    response = client.post("/contract/house-rules", data={"csrf_token": csrf_from(page.text), "version": "1"},
                           follow_redirects=False)
    assert response.status_code == 303
    with app.state.sessionmaker() as db_session:
        accepted = contracts_service.acceptance(db_session=db_session, worker_id=worker.id, version=1)
        assert accepted is not None and accepted.accepted_at == NOW


def test_host_sees_today_and_tomorrow_with_pseudonyms(client, rentals, app, settings, login_staff):
    room_a, room_b = rentals.rooms(2)
    lila, maria = rentals.worker("lila-x"), rentals.worker("maria-x")
    with app.state.sessionmaker() as db_session:
        service.book(db_session=db_session, settings=settings, worker=lila, room_id=room_a.id, day=TODAY,
                     shift="evening")
        service.book(db_session=db_session, settings=settings, worker=maria, room_id=room_b.id, day=TOMORROW,
                     shift="day")
        service.book(db_session=db_session, settings=settings, worker=maria, room_id=room_b.id,
                     day=TODAY + dt.timedelta(days=3), shift="day")
        db_session.commit()
        found = service.host_bookings(db_session=db_session, today=TODAY)
        assert [row.pseudonym for row in found[TODAY]] == ["lila-x"]
        assert [row.pseudonym for row in found[TOMORROW]] == ["maria-x"]
    login_staff("host")
    page = client.get("/bookings")
    assert "lila-x" in page.text and "maria-x" in page.text
    api = client.get("/api/v1/bookings").json()
    assert sorted(b["worker"] for b in api) == ["lila-x", "maria-x"]


def test_operator_overview_lists_who_booked(client, rentals, app, settings, login_staff):
    room, = rentals.rooms(1)
    worker = rentals.worker("fenna")
    with app.state.sessionmaker() as db_session:
        service.book(db_session=db_session, settings=settings, worker=worker, room_id=room.id, day=TOMORROW,
                     shift="day")
        db_session.commit()
    login_staff("operator")
    page = client.get(f"/bookings?day={TODAY}")
    assert page.status_code == 200 and "fenna" in page.text


def test_operator_manages_rooms_up_to_the_maximum(client, rentals, login_staff, app, settings):
    app.state.settings = settings.model_copy(update={"max_rooms": 2})
    login_staff("operator")
    client.cookies.set("lo_lang", "en")
    page = client.get("/admin/rooms")
    token = csrf_from(page.text)
    for number in (1, 2):
        assert client.post("/admin/rooms", data={"csrf_token": token, "number": number},
                           follow_redirects=False).status_code == 303
    refused = client.post("/admin/rooms", data={"csrf_token": token, "number": 3})
    assert refused.status_code == 400 and "the most allowed" in refused.text
    api = client.post("/api/v1/rooms", json={"number": 3}, headers={"X-CSRF-Token": token})
    assert api.status_code == 409 and "max_rooms" in api.json()["detail"]


def test_operator_sets_shifts_rates_and_outages(client, rentals, login_staff, app):
    room, = rentals.rooms(1)
    login_staff("operator")
    client.cookies.set("lo_lang", "en")
    token = csrf_from(client.get("/admin/rooms").text)
    created = client.post("/admin/shifts", data={"csrf_token": token, "name": "late", "starts": "22:00",
                                                 "ends": "04:00", "weekdays": ["5", "6"], "price": "90,50"},
                          follow_redirects=False)
    assert created.status_code == 303
    with app.state.sessionmaker() as db_session:
        from location_ops.rooms import service as rooms_service

        late = rooms_service.get_shift(db_session=db_session, name="late")
        assert (late.weekdays, late.price_cents, late.ends) == ("56", 9050, dt.time(4))
        day = rooms_service.get_shift(db_session=db_session, name="day")
    assert client.post(f"/admin/shifts/{day.id}/rates", data={"csrf_token": token, "room_id": room.id,
                                                              "price": "95"}, follow_redirects=False).status_code == 303
    shifts = client.get(f"/api/v1/shifts?date={TOMORROW}").json()
    assert next(s for s in shifts if s["shift"] == "day")["price_cents"] == 9500
    bad = client.post(f"/admin/rooms/{room.id}/outages", data={"csrf_token": token, "starts": "2026-12-02T12:00",
                                                               "ends": "2026-12-02T10:00", "reason": "Paint"})
    assert bad.status_code == 400 and "must end after it starts" in bad.text
    ok = client.post(f"/admin/rooms/{room.id}/outages", data={"csrf_token": token, "starts": "2026-12-02T12:00",
                                                              "ends": "2026-12-02T14:00", "reason": "Paint"},
                     follow_redirects=False)
    assert ok.status_code == 303 and "Paint" in client.get("/admin/rooms").text


def _every_plain_worker_get(app) -> list[str]:
    """Every GET route without path parameters that a worker may call (other capabilities' too)."""
    from location_ops.accounts.models import Role
    from tests.test_access import api_routes, rule_of

    found = []
    for endpoint in api_routes(app):
        rule = rule_of(endpoint)
        if ("GET" in endpoint.route.methods and "{" not in endpoint.path and Role.WORKER in rule.roles
                and endpoint.path not in ("/api/v1/events", "/logout")):
            found.append(endpoint.path)
    return found


def test_privacy_walk_no_other_pseudonym_reaches_a_worker(client, rentals, app, settings):
    """Seed several workers with bookings; fetch everything a worker can reach; no other name appears."""
    rooms = rentals.rooms(4)
    others = ["zephyrine", "quillonia", "marvabelle"]
    workers = [rentals.worker(name) for name in others]
    with app.state.sessionmaker() as db_session:
        for index, worker in enumerate(workers):
            for day in (TODAY, TOMORROW, TOMORROW + dt.timedelta(days=2)):
                service.book(db_session=db_session, settings=settings, worker=worker, room_id=rooms[index].id,
                             day=day, shift="evening")
        db_session.commit()
    me = _login_worker(client, rentals, "ownname")
    with app.state.sessionmaker() as db_session:
        mine = service.book(db_session=db_session, settings=settings, worker=me, room_id=rooms[3].id, day=TOMORROW,
                            shift="day")
        service.renew_feed(db_session=db_session, worker_id=me.id)
        db_session.commit()
        feed = service.feed_of(db_session=db_session, worker_id=me.id).token
    paths = ["/", "/account", "/bookings", f"/bookings/{mine.id}/cancel", "/contract", "/statements",
             "/statements.csv", f"/calendar/{feed}.ics", "/api/v1/rooms", "/api/v1/bookings",
             f"/api/v1/bookings/{mine.id}", "/api/v1/contracts", "/api/v1/me"]
    paths += [f"/book?day={TODAY + dt.timedelta(days=i)}" for i in range(7)]
    paths += [f"/api/v1/shifts?date={TODAY + dt.timedelta(days=i)}" for i in range(3)]
    generic = _every_plain_worker_get(app)
    for path in paths + generic:
        response = client.get(path)
        assert response.status_code == 200 or (path in generic and response.status_code < 500), (
            path, response.status_code)
        for name in others:
            assert name not in response.text, (path, name)
    assert "ownname" in client.get("/").text  # the walk would see a name if one were there
    assert client.get("/book?day=" + str(TOMORROW)).text.count("slot-taken") == 3


def test_calendar_feed_is_neutral_and_revocable(client, rentals, app, settings):
    room, = rentals.rooms(1)
    worker = _login_worker(client, rentals)
    with app.state.sessionmaker() as db_session:
        service.book(db_session=db_session, settings=settings, worker=worker, room_id=room.id, day=TOMORROW,
                     shift="day")
        db_session.commit()
    page = client.get("/bookings")
    client.post("/bookings/calendar-link", data={"csrf_token": csrf_from(page.text)})
    page = client.get("/bookings")
    url = re.search(r"(http://testserver/calendar/[^<]+\.ics)", page.text).group(1)
    client.cookies.clear()
    feed = client.get(url)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Room 1\\, 10:00–18:00" in feed.text
    assert "DTSTART:20261202T090000Z" in feed.text
    assert "roosje" not in feed.text
    _login_worker_again = login(client, "roosje")
    page = client.get("/bookings")
    client.post("/bookings/calendar-link/revoke", data={"csrf_token": csrf_from(page.text)})
    client.cookies.clear()
    assert client.get(url).status_code == 404


def test_other_roles_cannot_book_and_workers_cannot_reach_admin_pages(client, rentals, login_staff):
    room, = rentals.rooms(1)
    _login_worker(client, rentals)
    for path in ("/admin/rooms", "/admin/contracts"):
        assert client.get(path).status_code == 403
    client.cookies.clear()
    login_staff("host")
    page = client.get(f"/book?day={TOMORROW}")
    assert page.status_code == 200 and 'class="button book"' not in page.text
    response = client.post("/book", data={"csrf_token": csrf_from(page.text), "room_id": room.id,
                                          "day": str(TOMORROW), "shift": "day"})
    assert response.status_code == 403
