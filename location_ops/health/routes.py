"""Liveness and readiness probes; the site icon that browsers ask for at /favicon.ico."""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import text

from location_ops.access import PUBLIC
from location_ops.accounts.deps import allow
from location_ops.web import STATIC_DIR

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico", dependencies=[allow(PUBLIC)])
def favicon() -> FileResponse:
    """A neutral icon (a calendar page): browsers ask here whatever the pages link."""
    return FileResponse(STATIC_DIR / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/healthz", dependencies=[allow(PUBLIC)])
def healthz() -> dict:
    """The process is alive."""
    return {"status": "ok"}


def broker_state(request: Request) -> str:
    """Return 'connected' or 'disconnected': the bridge's state, else whether the broker answers."""
    bridge = getattr(request.app.state, "bridge", None)
    if bridge is not None:
        return "connected" if bridge.connected else "disconnected"
    url = urlsplit(request.app.state.settings.mqtt_url)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 1883), timeout=1):
            return "connected"
    except OSError:
        return "disconnected"


@router.get("/readyz", dependencies=[allow(PUBLIC)])
def readyz(request: Request) -> JSONResponse:
    """The database answers and the MQTT bridge is connected to the broker."""
    checks = {}
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: database check failed", exc_info=True)
        checks["database"] = "unreachable"
    checks["broker"] = broker_state(request)
    ready = checks["database"] == "ok" and checks["broker"] == "connected"
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)
