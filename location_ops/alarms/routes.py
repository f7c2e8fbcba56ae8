"""Alarm pages, the alarms and devices API, and the live event stream (SSE)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from location_ops import nav
from location_ops.access import ALARM_RAISE, ALARMS, ADMIN, DEVICES, EVENTS
from location_ops.accounts.deps import CurrentPrincipal, Principal, allow
from location_ops.accounts.models import Role
from location_ops.alarms import decoders, service
from location_ops.alarms.models import Alarm, AlarmState, Device, Resolution
from location_ops.alarms.schemas import (
    AlarmFilter,
    AlarmAckIn, AlarmRaiseForm, AlarmRaiseIn, AlarmResolveIn, DeviceIn, DeviceOut, TestModeIn,
)
from location_ops.clock import utcnow
from location_ops.db import SessionDep
from location_ops.forms import Id, form_page, refuse
from location_ops import events as events_module
from location_ops.i18n import _
from location_ops.rooms.models import Room
from location_ops.web import is_htmx, render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["alarms"])

nav.add("/alarms", "Alarms", ALARMS, 5, group="reception")
nav.add("/alarms/raise", "Alarm button", ALARM_RAISE, 90, group="account")
nav.add("/devices", "Devices", DEVICES, 70, group="reception")

KEEPALIVE_SECONDS = 15.0


def _fail(error: service.AlarmError):
    raise HTTPException(error.status, str(error))


def _hub(request: Request):
    return request.app.state.hub


def _bridge_connected(request: Request) -> bool:
    bridge = getattr(request.app.state, "bridge", None)
    return bool(bridge is not None and bridge.connected)


# --- the live event stream -------------------------------------------------------------------

@api.get("/events", dependencies=[allow(EVENTS)], summary="Live events (Server-Sent Events)")
async def events(request: Request, principal: CurrentPrincipal):
    """Server-Sent Events: `alarm`, `room`, `log`, `device`, filtered per role.

    The stream ends with its session: logout, expiry, a role change, deactivation or a
    password reset close it (the browser then reconnects, or learns it must log in again).
    """
    hub = _hub(request)
    settings = request.app.state.settings
    subscription = hub.subscribe(principal.role, principal.id, session_id=principal.auth_session.id,
                                 expires_at=_session_deadline(settings, principal))

    async def stream():
        try:
            yield "retry: 2000\n\n"
            yield f"event: hello\ndata: {json.dumps({'role': principal.role.value})}\n\n"
            queue = subscription.queue
            while True:
                try:
                    if queue.empty():
                        # asyncio.timeout, not wait_for: no extra task per event on Python 3.11.
                        async with asyncio.timeout(_wait_seconds(subscription)):
                            event = await queue.get()
                    else:
                        event = queue.get_nowait()
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    if subscription.expires_at is not None and utcnow() >= subscription.expires_at:
                        if not await asyncio.to_thread(_session_alive, request, subscription):
                            return
                    yield ": keepalive\n\n"
                    continue
                if event is None or subscription.ended:  # session ended, or the app is shutting down
                    return
                if subscription.overflowed:
                    subscription.overflowed = False
                    yield "event: reload\ndata: {}\n\n"
                yield event.sse
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _session_deadline(settings, principal: Principal):
    """When the stream's session lapses unless it is used meanwhile (then it is checked again)."""
    from location_ops.accounts import service as accounts_service

    auth_session = principal.auth_session
    deadline = auth_session.expires_at
    if auth_session.kind == "web":
        deadline = min(deadline, auth_session.last_seen_at + accounts_service.idle_limit(settings, principal.role))
    return deadline


def _wait_seconds(subscription) -> float:
    if subscription.expires_at is None:
        return KEEPALIVE_SECONDS
    left = (subscription.expires_at - utcnow()).total_seconds()
    return max(0.05, min(KEEPALIVE_SECONDS, left))


def _session_alive(request: Request, subscription) -> bool:
    """Look the stream's session up again at its deadline: used meanwhile, it lives on."""
    from location_ops.accounts.models import AuthSession

    settings = request.app.state.settings
    with request.app.state.sessionmaker() as db_session:
        auth_session = db_session.get(AuthSession, subscription.session_id)
        if auth_session is None or not auth_session.user.active:
            return False
        from location_ops.accounts import service as accounts_service

        deadline = auth_session.expires_at
        if auth_session.kind == "web":
            deadline = min(deadline, auth_session.last_seen_at
                           + accounts_service.idle_limit(settings, auth_session.user.role))
        db_session.commit()
    if utcnow() >= deadline:
        return False
    subscription.expires_at = deadline
    return True


# --- alarms: pages ---------------------------------------------------------------------------

def _banner_context(request: Request, db_session: Session) -> dict:
    # Newest raised on top; only the host may learn whose phone raised an alarm (DESIGN §5).
    alarms = service.open_alarms(db_session=db_session)[::-1]
    principal = getattr(request.state, "principal", None)
    sees_raiser = principal is not None and principal.role == Role.HOST
    names = service.user_names(db_session=db_session, ids=[a.acknowledged_by_id for a in alarms]
                               + ([a.raised_by_id for a in alarms] if sees_raiser else []))
    db_session.commit()
    return {"open_alarms": alarms, "names": names, "bridge_connected": _bridge_connected(request),
            "resolutions": list(Resolution), "title_of": service.alarm_title,
            "sees_raiser": sees_raiser, "sounding": any(a.state == AlarmState.RAISED for a in alarms)}


@router.get("/alarms/banner", dependencies=[allow(ALARMS)])
def alarm_banner(request: Request, db_session: SessionDep):
    return render(request, "alarms/_banner_content.html", _banner_context(request, db_session))


@router.get("/alarms", dependencies=[allow(ALARMS)])
def alarms_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    recent = service.list_alarms(db_session=db_session, role=principal.role, user_id=principal.id, limit=50)
    warnings = []
    if principal.role in (Role.HOST, Role.OPERATOR):
        warnings = service.device_warnings(db_session=db_session, now=utcnow(),
                                           settings=request.app.state.settings)
    # Only the host may learn whose phone raised an alarm (DESIGN §5): others see staff names only.
    names = service.user_names(db_session=db_session, ids=[a.acknowledged_by_id for a in recent]
                               + [a.resolved_by_id for a in recent] + [a.raised_by_id for a in recent],
                               workers=principal.role == Role.HOST)
    db_session.commit()
    return render(request, "alarms/board.html", {"recent": recent, "warnings": warnings, "names": names,
                                                 "title_of": service.alarm_title, "event_text": service.event_text})


def _back(request: Request, default: str = "/alarms"):
    if is_htmx(request) or request.headers.get("x-requested-with") == "fetch":
        return render(request, "alarms/_banner_content.html",
                      _banner_context(request, request.state.db_session))
    return RedirectResponse(default, status_code=303)


@router.post("/alarms/raise", dependencies=[allow(ALARM_RAISE)])
def raise_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal, form: Annotated[AlarmRaiseForm, Form()]):
    alarm = _raise(request, db_session, principal, form.room_id, "")
    return RedirectResponse(f"/alarms/raise?sent={alarm.id}", status_code=303)


@router.get("/alarms/raise", dependencies=[allow(ALARM_RAISE)])
def raise_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
               sent: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None):
    mine = service.list_alarms(db_session=db_session, role=Role.WORKER, user_id=principal.id, limit=5)
    rooms = list(db_session.scalars(select(Room).where(Room.active.is_(True)).order_by(Room.number)))
    db_session.commit()
    return render(request, "alarms/raise.html", {"mine": mine, "rooms": rooms, "sent": sent,
                                                 "title_of": service.alarm_title})


@router.get("/alarms/mine", dependencies=[allow(ALARM_RAISE)])
def my_alarms(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    """The caller's own recent alarms (the phone page refreshes this over SSE)."""
    mine = service.list_alarms(db_session=db_session, role=Role.WORKER, user_id=principal.id, limit=5)
    db_session.commit()
    return render(request, "alarms/_mine.html", {"mine": mine})


@router.post("/alarms/{alarm_id}/acknowledge", dependencies=[allow(ALARMS)])
def acknowledge_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal, alarm_id: Annotated[Id, Path()]):
    _acknowledge(request, db_session, principal, alarm_id, "")
    request.state.db_session = db_session
    return _back(request)


@router.post("/alarms/{alarm_id}/resolve", dependencies=[allow(ALARMS), form_page("/alarms")])
def resolve_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal, alarm_id: Annotated[Id, Path()],
                   resolution: Annotated[str, Form()] = "handled", note: Annotated[str, Form(max_length=500)] = ""):
    _resolve(request, db_session, principal, alarm_id, resolution, note)
    request.state.db_session = db_session
    return _back(request)


# --- alarms: the rules, shared by pages and API ---------------------------------------------

def _raise(request: Request, db_session: Session, principal: Principal, room_id: int | None, note: str) -> Alarm:
    try:
        alarm, created = service.raise_from_person(db_session=db_session, now=utcnow(), role=principal.role,
                                                   user_id=principal.id, room_id=room_id, note=note)
    except service.AlarmError as error:
        _fail(error)
    db_session.commit()
    log.warning("alarm %s %s by user %s", alarm.id, "raised" if created else "pressed again", principal.id)
    if created:
        _siren_on(request, alarm)
    return alarm


def _siren_on(request: Request, alarm: Alarm) -> None:
    """With ``alarm_siren_immediately``, sound the siren at the raise, not only at escalation."""
    settings = request.app.state.settings
    bridge = getattr(request.app.state, "bridge", None)
    if settings.alarm_siren_topic and settings.alarm_siren_immediately and bridge is not None:
        bridge.publish(settings.alarm_siren_topic, service.siren_payload(settings, alarm, on=True))


def _acknowledge(request, db_session, principal, alarm_id, note) -> Alarm:
    try:
        alarm = service.get_alarm(db_session=db_session, alarm_id=alarm_id, role=principal.role, user_id=principal.id)
        service.acknowledge(db_session=db_session, alarm=alarm, user_id=principal.id, now=utcnow(), note=note)
    except service.AlarmError as error:
        _fail(error)
    service.emit_alarm(db_session, alarm, "acknowledged")
    db_session.commit()
    _siren_off(request, db_session, alarm)
    return alarm


def _siren_off(request: Request, db_session: Session, alarm: Alarm) -> None:
    """Someone is on the way: switch the siren off, unless another alarm still waits for someone."""
    settings = request.app.state.settings
    bridge = getattr(request.app.state, "bridge", None)
    if not settings.alarm_siren_topic or bridge is None:
        return
    quiet = service.siren_may_stop(db_session=db_session)
    db_session.commit()
    if quiet:
        bridge.publish(settings.alarm_siren_topic, service.siren_payload(settings, alarm, on=False))


def _resolve(request, db_session, principal, alarm_id, resolution, note) -> Alarm:
    try:
        alarm = service.get_alarm(db_session=db_session, alarm_id=alarm_id, role=principal.role, user_id=principal.id)
        was_raised = alarm.state == AlarmState.RAISED
        service.resolve(db_session=db_session, alarm=alarm, user_id=principal.id, now=utcnow(),
                        resolution=resolution, note=note)
    except service.AlarmError as error:
        _fail(error)
    service.emit_alarm(db_session, alarm, "resolved")
    db_session.commit()
    if was_raised:
        _siren_off(request, db_session, alarm)
    return alarm


# --- alarms: API -----------------------------------------------------------------------------

@api.get("/alarms", dependencies=[allow(ALARM_RAISE)])
def api_alarms(db_session: SessionDep, principal: CurrentPrincipal,
               state: Annotated[AlarmFilter | None, Query()] = None) -> list[dict]:
    """Alarms, newest first; `state` = raised, acknowledged, resolved or open. A worker sees own raised."""
    try:
        alarms = service.list_alarms(db_session=db_session, role=principal.role, user_id=principal.id, state=state)
    except service.AlarmError as error:
        _fail(error)
    return [_view(principal, alarm) for alarm in alarms]


def _view(principal: Principal, alarm: Alarm) -> dict:
    if principal.role == Role.WORKER:
        return service.worker_alarm_view(alarm)
    return service.alarm_view(alarm)


@api.post("/alarms", status_code=201, dependencies=[allow(ALARM_RAISE)])
def api_raise(request: Request, db_session: SessionDep, principal: CurrentPrincipal, body: AlarmRaiseIn | None = None) -> dict:
    """Raise an alarm (from a phone or by staff). A bad or unknown room raises it without a room."""
    body = body or AlarmRaiseIn()
    alarm = _raise(request, db_session, principal, body.room_id, body.note)
    return _view(principal, alarm)


@api.get("/alarms/{alarm_id}", dependencies=[allow(ALARM_RAISE)])
def api_alarm(db_session: SessionDep, principal: CurrentPrincipal, alarm_id: Annotated[Id, Path()],
              events_offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
              events_limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    """One alarm; staff get a page of its events (`events_offset`, `events_limit`) and their total."""
    try:
        alarm = service.get_alarm(db_session=db_session, alarm_id=alarm_id, role=principal.role, user_id=principal.id)
    except service.AlarmError as error:
        _fail(error)
    if principal.role == Role.WORKER:
        return service.worker_alarm_view(alarm)
    page, total = service.alarm_events(db_session=db_session, alarm_id=alarm.id, offset=events_offset,
                                       limit=events_limit)
    return service.alarm_view(alarm, events=page, events_total=total)


@api.post("/alarms/{alarm_id}/acknowledge", dependencies=[allow(ALARMS)])
def api_acknowledge(request: Request, db_session: SessionDep, principal: CurrentPrincipal, alarm_id: Annotated[Id, Path()],
                    body: AlarmAckIn | None = None) -> dict:
    alarm = _acknowledge(request, db_session, principal, alarm_id, body.note if body else "")
    return service.alarm_view(alarm)


@api.post("/alarms/{alarm_id}/resolve", dependencies=[allow(ALARMS)])
def api_resolve(request: Request, db_session: SessionDep, principal: CurrentPrincipal, alarm_id: Annotated[Id, Path()],
                body: AlarmResolveIn) -> dict:
    alarm = _resolve(request, db_session, principal, alarm_id, body.resolution, body.note)
    return service.alarm_view(alarm)


# --- devices ---------------------------------------------------------------------------------

def device_out(device: Device) -> DeviceOut:
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return DeviceOut(id=device.id, family=device.family, device_id=device.device_id, room_id=device.room_id,
                     room=device.room.label if device.room else None, label=device.label,
                     registered=device.registered, last_seen_at=iso(device.last_seen_at), battery=device.battery,
                     online=device.online, test_until=iso(device.test_until), last_test_at=iso(device.last_test_at))


def _device_or_404(db_session: Session, device_pk: int) -> Device:
    device = db_session.get(Device, device_pk)
    if device is None:
        raise HTTPException(404, _("This device does not exist."))
    return device


@api.get("/devices", dependencies=[allow(DEVICES)])
def api_devices(db_session: SessionDep) -> list[DeviceOut]:
    """Every device, registered and unassigned."""
    return [device_out(device) for device in service.list_devices(db_session=db_session)]


@api.post("/devices", status_code=201, dependencies=[allow(ADMIN)])
def api_register_device(db_session: SessionDep, body: DeviceIn, request: Request) -> DeviceOut:
    """Register a device (or assign an unassigned one): family, device id, room, label."""
    try:
        device = service.register_device(db_session=db_session, family=body.family, device_id=body.device_id,
                                         room_id=body.room_id, label=body.label, now=utcnow())
    except service.AlarmError as error:
        _fail(error)
    service.emit_device(db_session, device)
    db_session.commit()
    return device_out(device)


@api.post("/devices/{device_pk}/test-mode", dependencies=[allow(DEVICES)])
def api_test_mode(db_session: SessionDep, device_pk: Annotated[Id, Path()], body: TestModeIn) -> DeviceOut:
    """Put a device in test mode for N minutes (0 ends it)."""
    device = _device_or_404(db_session, device_pk)
    service.set_test_mode(db_session=db_session, device=device, minutes=body.minutes, now=utcnow())
    db_session.commit()
    return device_out(device)


@api.get("/devices/warnings", dependencies=[allow(DEVICES)])
def api_device_warnings(request: Request, db_session: SessionDep) -> list[dict]:
    """Silent, offline, low-battery, untested and unassigned devices, and the bridge's state."""
    warnings = service.device_warnings(db_session=db_session, now=utcnow(), settings=request.app.state.settings)
    return [{"kind": w.kind, "message": w.message, "device_id": w.device_pk} for w in warnings]


@router.get("/devices", dependencies=[allow(DEVICES)])
def devices_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal, error: str = ""):
    devices = service.list_devices(db_session=db_session)
    rooms = list(db_session.scalars(select(Room).order_by(Room.number)))
    warnings = service.device_warnings(db_session=db_session, now=utcnow(), settings=request.app.state.settings)
    db_session.commit()
    return render(request, "alarms/devices.html", {
        "registered": [d for d in devices if d.registered], "unassigned": [d for d in devices if not d.registered],
        "rooms": rooms, "families": decoders.FAMILIES, "warnings": warnings, "now": utcnow(),
        "can_register": principal.role == Role.OPERATOR, "simulator": request.app.state.settings.device_simulator,
        "in_test": service.in_test_mode})


@router.post("/devices", dependencies=[allow(ADMIN)])
def devices_register(request: Request, db_session: SessionDep, family: Annotated[str, Form(max_length=32)],
                     device_id: Annotated[str, Form(max_length=128)],
                     room_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
                     label: Annotated[str, Form(max_length=64)] = ""):
    try:
        service.register_device(db_session=db_session, family=family, device_id=device_id,
                                room_id=room_id, label=label, now=utcnow())
    except service.AlarmError as error:
        if isinstance(error, service.NotFound):
            _fail(error)
        refuse(db_session, None, error, error.status)
    db_session.commit()
    return RedirectResponse("/devices", status_code=303)


@router.post("/devices/{device_pk}/test-mode", dependencies=[allow(DEVICES), form_page("/devices")])
def devices_test_mode(db_session: SessionDep, device_pk: Annotated[Id, Path()], minutes: Annotated[int, Form(ge=0, le=240)] = 15):
    device = _device_or_404(db_session, device_pk)
    service.set_test_mode(db_session=db_session, device=device, minutes=minutes, now=utcnow())
    db_session.commit()
    return RedirectResponse("/devices", status_code=303)


@router.post("/devices/{device_pk}/simulate", dependencies=[allow(DEVICES)])
async def devices_simulate(request: Request, db_session: SessionDep, device_pk: Annotated[Id, Path()]):
    """Demo and trials: publish a press as this device would, over MQTT."""
    if not request.app.state.settings.device_simulator:
        raise HTTPException(404, _("This page does not exist."))
    device = _device_or_404(db_session, device_pk)
    family, device_id = device.family, device.device_id
    db_session.commit()
    from devices.simulator import message_for

    site = request.app.state.settings.site
    topic, payload, retain = message_for(family, device_id, "press", site=site)
    bridge = request.app.state.bridge
    ok = await asyncio.to_thread(bridge.publish, topic, payload, retain)
    if not ok:
        raise HTTPException(503, _("The MQTT broker did not take the simulated press."))
    return RedirectResponse("/devices", status_code=303)
