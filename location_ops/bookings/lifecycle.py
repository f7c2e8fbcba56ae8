"""The no-show releaser: a background task of the app itself (no cron)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI

from location_ops.accounts.models import Role
from location_ops.bookings import service
from location_ops.events import emit
from location_ops.clock import utcnow

log = logging.getLogger(__name__)

#: How often the releaser looks; a no-show is released at most this much late.
INTERVAL_SECONDS = 60


def release_once(app: FastAPI) -> int:
    """Release overdue no-shows in one short transaction; return how many."""
    with app.state.sessionmaker() as db_session:
        count = service.release_no_shows(db_session=db_session, now=utcnow(), settings=app.state.settings)
        if count:
            emit(db_session, "room", {"released": count}, audience={Role.HOST, Role.OPERATOR})
        db_session.commit()
    return count


async def _releaser(app: FastAPI) -> None:
    while True:
        try:
            await asyncio.to_thread(release_once, app)
        except Exception:  # keep running: the next round may succeed (database back)
            log.exception("releasing no-shows failed")
        await asyncio.sleep(INTERVAL_SECONDS)


async def startup(app: FastAPI) -> None:
    app.state.no_show_releaser = asyncio.create_task(_releaser(app), name="no-show-releaser")


async def shutdown(app: FastAPI) -> None:
    task = getattr(app.state, "no_show_releaser", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
