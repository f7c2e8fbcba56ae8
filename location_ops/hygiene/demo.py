"""Demo data: the default checklists, a room waiting for its turnover round, yesterday's rounds done."""

from __future__ import annotations

import datetime as dt

from location_ops import demo
from location_ops.accounts.models import Role
from location_ops.clock import utcnow
from location_ops.hygiene import service
from location_ops.hygiene.models import ItemResult, RoundKind
from location_ops.rooms.models import Room


def seed_hygiene(*, db_session, settings, users) -> None:
    now = utcnow()
    service.ensure_templates(db_session=db_session, now=now)
    rooms = db_session.query(Room).order_by(Room.number).limit(3).all()
    host = users.get("host")
    if not rooms or host is None:
        return
    actor = service.Actor(Role.HOST, host.id)
    yesterday = now - dt.timedelta(days=1)
    for room in rooms:
        daily = service.start_round(db_session=db_session, room_id=room.id, kind=RoundKind.DAILY, actor=actor,
                                    now=yesterday, settings=settings)
        for item in daily.template.items:
            service.record_item(db_session=db_session, hygiene_round=daily, item_id=item.id,
                                result=ItemResult.OK.value, actor=actor, now=yesterday,
                                low_stock=item.supply and item.key == "gloves" and room.number == 1)
        service.complete_round(db_session=db_session, hygiene_round=daily, actor=actor, now=yesterday)
    service.mark_needs_cleaning(db_session=db_session, room_id=rooms[-1].id, now=now, by_user_id=host.id)


demo.SEEDERS.append(seed_hygiene)
