"""Talk requests are deleted a set number of days after their visit (DESIGN §2)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from location_ops.config import Settings
from location_ops.privacy.retention import register
from location_ops.rota import service


@register("talk requests after their visit")
def purge_talk_requests(*, db_session: Session, settings: Settings) -> int:
    return service.purge_talk_requests(db_session=db_session,
                                       retention_days=settings.talk_request_retention_days)
