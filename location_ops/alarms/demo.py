"""Demo: a native panic button in every room (press them from the devices page or the simulator)."""

from __future__ import annotations

from sqlalchemy import select

from location_ops.alarms import service
from location_ops.clock import utcnow
from location_ops.demo import SEEDERS
from location_ops.rooms.models import Room


def seed_devices(*, db_session, settings, users) -> None:
    """Register a native button per room: device id room-<number>, label "Knop <number>" (the demo is Dutch)."""
    for room in db_session.scalars(select(Room).order_by(Room.number)):
        device = service.register_device(db_session=db_session, family="native", device_id=f"room-{room.number}",
                                         room_id=room.id, label=f"Knop {room.number}", now=utcnow())
        device.last_test_at = utcnow()


if seed_devices not in SEEDERS:
    SEEDERS.append(seed_devices)
