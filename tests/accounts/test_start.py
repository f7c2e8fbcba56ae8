"""The start page: each role lands where its work is; a worker sees only her own bookings."""

import datetime as dt

from location_ops.accounts.models import Role


def test_host_and_security_start_on_their_one_screen(client, login_as):
    login_as(Role.HOST)
    assert client.get("/", follow_redirects=False).headers["location"] == "/reception"
    client.cookies.clear()
    login_as(Role.SECURITY)
    assert client.get("/", follow_redirects=False).headers["location"] == "/alarms"


def test_worker_start_shows_news_visits_and_only_her_bookings(client, login_as, make_user, db):
    from location_ops.bookings.models import Booking, BookingStatus
    from location_ops.clock import utcnow
    from location_ops.rooms.models import Room

    other = make_user(Role.WORKER, "other-worker")
    me = login_as(Role.WORKER, "ana")
    room = Room(number=7, name="Room 7", active=True)
    db.add(room)
    db.flush()
    start = utcnow() + dt.timedelta(days=1)
    day = start.date()
    for worker_id, offset in ((me.id, 0), (other.id, 10)):
        db.add(Booking(room_id=room.id, worker_id=worker_id, day=day, shift="day", status=BookingStatus.BOOKED,
                       starts_at=start + dt.timedelta(hours=offset), ends_at=start + dt.timedelta(hours=offset + 8),
                       price_cents=8000, created_at=utcnow()))
    db.commit()
    page = client.get("/", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "Your next bookings" in page.text and "Room 7" in page.text
    assert page.text.count("booking-item") == 1  # hers, not the other worker's
    assert "other-worker" not in page.text
    assert "Visits this week" in page.text


def test_worker_start_links_to_hygiene_rounds_only_when_allowed(client, login_as, app):
    login_as(Role.WORKER)
    assert 'href="/hygiene"' not in client.get("/").text
    app.state.settings = app.state.settings.model_copy(update={"hygiene_worker_rounds": True})
    assert 'href="/hygiene"' in client.get("/").text
