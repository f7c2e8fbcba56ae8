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
