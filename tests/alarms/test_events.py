"""The SSE stream: staff get every alarm, a worker only the alarm they raised."""

from __future__ import annotations

import httpx

from tests.alarms.conftest import LiveApp, SSEReader


def _token(url, username):
    response = httpx.post(f"{url}/api/v1/auth/login", json={"username": username, "password": "correct-horse-battery"})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_alarm_events_are_filtered_per_role(app, make_user, rooms):
    security, worker, other = make_user("security"), make_user("worker"), make_user("worker")
    with LiveApp(app) as live:
        headers = {u.id: _token(live.url, u.username) for u in (security, worker, other)}
        screens = {uid: SSEReader(f"{live.url}/api/v1/events", h) for uid, h in headers.items()}
        try:
            for screen in screens.values():
                screen.wait_for(lambda kind, data: kind == "hello")
            staff_raised = httpx.post(f"{live.url}/api/v1/alarms", json={"room_id": rooms[1]},
                                      headers=headers[security.id]).json()
            own = httpx.post(f"{live.url}/api/v1/alarms", json={}, headers=headers[worker.id]).json()
            screens[security.id].wait_for(lambda k, d: k == "alarm" and d["id"] == own["id"])
            screens[worker.id].wait_for(lambda k, d: k == "alarm" and d["id"] == own["id"])
            # The other worker's stream got neither; security's got both.
            marker = httpx.post(f"{live.url}/api/v1/alarms", json={}, headers=headers[other.id]).json()
            screens[other.id].wait_for(lambda k, d: k == "alarm" and d["id"] == marker["id"])
            alarm_ids = lambda uid: {d["id"] for k, d in screens[uid].events if k == "alarm"}  # noqa: E731
            assert alarm_ids(other.id) == {marker["id"]}
            assert staff_raised["id"] in alarm_ids(security.id) and staff_raised["id"] not in alarm_ids(worker.id)
        finally:
            for screen in screens.values():
                screen.close()


def test_a_rolled_back_savepoint_keeps_the_transactions_events(app):
    """A raise that lost a race inside a savepoint must not take the batch's other announcements with it."""
    from sqlalchemy import text

    from location_ops import events

    heard = []
    hub = app.state.hub
    original, hub.deliver = hub.deliver, heard.append
    try:
        with app.state.sessionmaker() as db_session:
            events.emit(db_session, "alarm", {"what": "test", "id": 1})
            try:
                with db_session.begin_nested():
                    db_session.execute(text("SELECT 1"))
                    raise ValueError("lost the race")
            except ValueError:
                pass
            db_session.commit()
        with app.state.sessionmaker() as db_session:
            events.emit(db_session, "alarm", {"what": "never", "id": 2})
            db_session.rollback()
    finally:
        hub.deliver = original
    assert [event.data["what"] for event in heard] == ["test"], "kept through the savepoint, dropped on rollback"
