"""Run retention daily inside the app: no cron needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import FastAPI

from location_ops.privacy.retention import purge

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600
FIRST_RUN_DELAY_SECONDS = 60


def _purge_once(app: FastAPI) -> None:
    with app.state.sessionmaker() as db_session:
        purge(db_session=db_session, settings=app.state.settings)


async def _daily(app: FastAPI) -> None:
    await asyncio.sleep(FIRST_RUN_DELAY_SECONDS)  # let start-up (and the alarm bridge) go first
    while True:
        try:
            await asyncio.to_thread(_purge_once, app)
        except Exception:  # noqa: BLE001 - a failed purge must not stop the next one
            log.exception("daily purge failed")
        await asyncio.sleep(DAY_SECONDS)


async def startup(app: FastAPI) -> None:
    app.state.purge_task = asyncio.create_task(_daily(app), name="daily-purge")


async def shutdown(app: FastAPI) -> None:
    task = getattr(app.state, "purge_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
