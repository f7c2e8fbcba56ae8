"""GET /api/v1/rooms/{id}: the room, and for staff its hygiene state."""

from location_ops.accounts.models import Role
from location_ops.clock import utcnow
from location_ops.hygiene import service as hygiene_service
from location_ops.rooms.models import Room
from tests.conftest import api_token


def test_room_detail_carries_hygiene_state_for_staff_only(client, make_user, db):
    room = Room(number=4, name="Room 4", active=True)
    db.add(room)
    db.commit()
    host = make_user(Role.HOST)
    worker = make_user(Role.WORKER)
    hygiene_service.mark_needs_cleaning(db_session=db, room_id=room.id, now=utcnow(), by_user_id=host.id)
    db.commit()

    staff_view = client.get(f"/api/v1/rooms/{room.id}", headers=api_token(client, host.username))
    assert staff_view.status_code == 200
    body = staff_view.json()
    assert body["number"] == 4 and body["hygiene"]["needs_cleaning"] is True

    worker_view = client.get(f"/api/v1/rooms/{room.id}", headers=api_token(client, worker.username))
    assert worker_view.status_code == 200 and worker_view.json()["hygiene"] is None

    missing = client.get("/api/v1/rooms/999", headers=api_token(client, host.username))
    assert missing.status_code == 404 and "does not exist" in missing.json()["detail"]
