"""Operator pages for rooms, out-of-service periods, shifts and rates; the rooms API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import RedirectResponse

from location_ops import nav
from location_ops.access import ADMIN, ROOM_AVAILABILITY
from location_ops.accounts.deps import CurrentPrincipal, allow
from location_ops.accounts.models import Role
from location_ops.bookings.schemas import RoomDetailOut, RoomIn, RoomOut
from location_ops.clock import LOCAL_TZ, utcnow
from location_ops.db import SessionDep
from location_ops.forms import MAX_ID, Cents, Id, OptionalCents, form_page, refuse
from location_ops.hygiene import service as hygiene_service
from location_ops.i18n import _, lazy
from location_ops.rooms import service
from location_ops.rooms.models import Room, ShiftTemplate, shift_label
from location_ops.rooms.schemas import (
    RoomRateIn,
    RoomRateOut,
    ShiftTemplateChange,
    ShiftTemplateIn,
    ShiftTemplateOut,
    weekday_digits,
)
from location_ops.web import render, templates

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["rooms"])

nav.add("/admin/rooms", "Rooms and shifts", ADMIN, order=60, group="admin")

#: A weekday as the shift forms send it: 1 (Monday) to 7.
Weekday = Literal["1", "2", "3", "4", "5", "6", "7"]

templates.env.filters["shift_label"] = shift_label  # "Dag" for the default "day"


def _page(request: Request, db_session, *, error: str | None = None, status_code: int = 200):
    rooms = service.list_rooms(db_session=db_session)
    return render(request, "rooms/admin.html", {
        "rooms": rooms, "rooms_by_id": {room.id: room for room in rooms},
        "outages": service.outages(db_session=db_session, since=utcnow()),
        "shifts": service.list_shifts(db_session=db_session), "rates": service.room_rates(db_session=db_session),
        "max_rooms": request.app.state.settings.max_rooms, "error": error,
    }, status_code=status_code)


def _utc(value: dt.datetime) -> dt.datetime:
    """A datetime-local field's value (local time, no zone) in UTC."""
    return value.replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _done(db_session):
    db_session.commit()
    return RedirectResponse("/admin/rooms", status_code=303)


@router.get("/admin/rooms", dependencies=[allow(ADMIN)])
def rooms_page(request: Request, db_session: SessionDep):
    return _page(request, db_session)


@router.post("/admin/rooms", dependencies=[allow(ADMIN), form_page("/admin/rooms")])
def rooms_create(request: Request, db_session: SessionDep,
                 number: Annotated[int, Form(ge=1, le=999, title=lazy("Number"))],
                 name: Annotated[str, Form(max_length=64, title=lazy("Name"))] = ""):
    try:
        service.create_room(db_session=db_session, settings=request.app.state.settings, number=number, name=name)
    except service.RoomsError as exc:
        refuse(db_session, getattr(exc, "field", None), exc)
    return _done(db_session)


def _room(db_session, room_id: int) -> Room:
    try:
        return service.get_room(db_session=db_session, room_id=room_id)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None


def _shift(db_session, shift_id: int) -> ShiftTemplate:
    try:
        return service.get_shift_by_id(db_session=db_session, shift_id=shift_id)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/admin/rooms/{room_id}/active", dependencies=[allow(ADMIN), form_page("/admin/rooms")])
def rooms_toggle(db_session: SessionDep, room_id: Annotated[Id, Path()], active: Annotated[str, Form(max_length=5)] = ""):
    service.set_room_active(db_session=db_session, room=_room(db_session, room_id), active=active == "1")
    return _done(db_session)


@router.post("/admin/rooms/{room_id}/outages", dependencies=[allow(ADMIN), form_page("/admin/rooms")])
def outage_create(request: Request, db_session: SessionDep, room_id: Annotated[Id, Path()],
                  starts: Annotated[dt.datetime, Form(title=lazy("From"))],
                  ends: Annotated[dt.datetime, Form(title=lazy("Until"))],
                  reason: Annotated[str, Form(max_length=200, title=lazy("Reason"))] = ""):
    room = _room(db_session, room_id)
    try:
        service.add_outage(db_session=db_session, room=room, starts_at=_utc(starts), ends_at=_utc(ends),
                           reason=reason)
    except service.RoomsError as exc:
        refuse(db_session, getattr(exc, "field", None), exc)
    return _done(db_session)


@router.post("/admin/outages/{outage_id}/delete", dependencies=[allow(ADMIN), form_page("/admin/rooms")])
def outage_delete(db_session: SessionDep, outage_id: Annotated[Id, Path()]):
    try:
        service.remove_outage(db_session=db_session, outage_id=outage_id)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return _done(db_session)


@router.post("/admin/shifts", dependencies=[allow(ADMIN), form_page("/admin/rooms")])
def shift_create(request: Request, db_session: SessionDep,
                 name: Annotated[str, Form(max_length=32, title=lazy("Name"))],
                 starts: Annotated[dt.time, Form(title=lazy("Start"))], ends: Annotated[dt.time, Form(title=lazy("End"))],
                 price: Annotated[Cents, Form(title=lazy("Price (€)"))],
                 weekdays: Annotated[list[Weekday] | None, Form(title=lazy("Weekdays"))] = None):
    try:
        service.create_shift(db_session=db_session, name=name, starts=starts, ends=ends,
                             weekdays="".join(weekdays or []), price_cents=price)
    except service.RoomsError as exc:
        refuse(db_session, getattr(exc, "field", None), exc)
    return _done(db_session)


@router.post("/admin/shifts/{shift_id}", dependencies=[allow(ADMIN), form_page("/admin/rooms")])
def shift_update(request: Request, db_session: SessionDep, shift_id: Annotated[Id, Path()],
                 starts: Annotated[dt.time, Form(title=lazy("Start"))], ends: Annotated[dt.time, Form(title=lazy("End"))],
                 price: Annotated[Cents, Form(title=lazy("Price (€)"))],
                 weekdays: Annotated[list[Weekday] | None, Form(title=lazy("Weekdays"))] = None,
                 active: Annotated[str, Form(max_length=5)] = ""):
    shift = _shift(db_session, shift_id)
    try:
        service.update_shift(db_session=db_session, shift=shift, starts=starts, ends=ends,
                             weekdays="".join(weekdays or []), price_cents=price, active=active == "1")
    except service.RoomsError as exc:
        refuse(db_session, getattr(exc, "field", None), exc)
    return _done(db_session)


@router.post("/admin/shifts/{shift_id}/rates", dependencies=[allow(ADMIN), form_page("/admin/rooms")])
def shift_rate(request: Request, db_session: SessionDep, shift_id: Annotated[Id, Path()],
               room_id: Annotated[int, Form(ge=1, le=MAX_ID, title=lazy("Room"))],
               price: Annotated[OptionalCents, Form(title=lazy("Price (€), empty for the shift's price"))] = None):
    shift = _shift(db_session, shift_id)
    room = _room(db_session, room_id)
    try:
        service.set_room_rate(db_session=db_session, shift=shift, room=room, price_cents=price)
    except service.RoomsError as exc:
        refuse(db_session, getattr(exc, "field", None), exc)
    return _done(db_session)


# --- JSON API -------------------------------------------------------------------------------


@api.get("/rooms", response_model=list[RoomOut], dependencies=[allow(ROOM_AVAILABILITY)])
def api_rooms(db_session: SessionDep) -> list[Room]:
    """List the rooms."""
    return service.list_rooms(db_session=db_session)


@api.get("/rooms/{room_id}", response_model=RoomDetailOut, dependencies=[allow(ROOM_AVAILABILITY)],
         responses={404: {"description": "No such room"}})
def api_room(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()]) -> RoomDetailOut:
    """One room; staff also get its hygiene state."""
    try:
        room = service.get_room(db_session=db_session, room_id=room_id)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    detail = RoomDetailOut.model_validate(room)
    if principal.role in (Role.HOST, Role.OPERATOR):
        detail.hygiene = hygiene_service.hygiene_json(db_session=db_session, room_id=room.id, now=utcnow(),
                                                      settings=request.app.state.settings)
    return detail


@api.post("/rooms", response_model=RoomOut, status_code=201, dependencies=[allow(ADMIN)],
          responses={400: {"description": "A rule was broken"},
                     409: {"description": "The number is taken, or the location has its most rooms"}})
def api_create_room(request: Request, db_session: SessionDep, body: RoomIn) -> Room:
    """Add a room (operators; at most max_rooms)."""
    try:
        room = service.create_room(db_session=db_session, settings=request.app.state.settings, number=body.number,
                                   name=body.name)
    except service.RoomsConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except service.RoomsError as exc:
        raise HTTPException(400, str(exc)) from None
    db_session.commit()
    return room


# --- shift templates and their rates (operators) ----------------------------------------------


def _shift_out(db_session, shift: ShiftTemplate) -> ShiftTemplateOut:
    rates = service.rates_of(db_session=db_session, shift=shift)
    return ShiftTemplateOut(id=shift.id, name=shift.name, starts=shift.starts, ends=shift.ends,
                            weekdays=[int(day) for day in shift.weekdays], price_cents=shift.price_cents,
                            active=shift.active,
                            rates=[RoomRateOut(room_id=room_id, price_cents=price) for room_id, price in rates.items()])


@api.get("/shift-templates", response_model=list[ShiftTemplateOut], dependencies=[allow(ADMIN)])
def api_shift_templates(db_session: SessionDep) -> list[ShiftTemplateOut]:
    """List the shift templates, inactive ones too, with the rooms' own rates."""
    return [_shift_out(db_session, shift) for shift in service.list_shifts(db_session=db_session)]


@api.post("/shift-templates", response_model=ShiftTemplateOut, status_code=201, dependencies=[allow(ADMIN)],
          responses={409: {"description": "A shift with that name exists already"}})
def api_create_shift_template(db_session: SessionDep, body: ShiftTemplateIn) -> ShiftTemplateOut:
    """Add a shift template (operators); it is offered for booking at once."""
    try:
        shift = service.create_shift(db_session=db_session, name=body.name, starts=body.starts, ends=body.ends,
                                     weekdays=weekday_digits(body.weekdays), price_cents=body.price_cents)
    except service.RoomsConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except service.RoomsError as exc:
        raise HTTPException(422, str(exc)) from None
    db_session.commit()
    return _shift_out(db_session, shift)


@api.get("/shift-templates/{shift_id}", response_model=ShiftTemplateOut, dependencies=[allow(ADMIN)])
def api_shift_template(db_session: SessionDep, shift_id: Annotated[Id, Path()]) -> ShiftTemplateOut:
    """One shift template with the rooms' own rates."""
    return _shift_out(db_session, _shift(db_session, shift_id))


@api.patch("/shift-templates/{shift_id}", response_model=ShiftTemplateOut, dependencies=[allow(ADMIN)])
def api_change_shift_template(db_session: SessionDep, shift_id: Annotated[Id, Path()],
                              body: ShiftTemplateChange) -> ShiftTemplateOut:
    """Change a shift's times, weekdays or price, or deactivate it with ``"active": false``.

    Bookings made already keep their times and price.
    """
    shift = _shift(db_session, shift_id)
    try:
        service.update_shift(db_session=db_session, shift=shift, starts=body.starts, ends=body.ends,
                             weekdays=None if body.weekdays is None else weekday_digits(body.weekdays),
                             price_cents=body.price_cents, active=body.active)
    except service.RoomsError as exc:
        raise HTTPException(422, str(exc)) from None
    db_session.commit()
    return _shift_out(db_session, shift)


@api.put("/shift-templates/{shift_id}/rates/{room_id}", response_model=ShiftTemplateOut,
         dependencies=[allow(ADMIN)])
def api_set_room_rate(db_session: SessionDep, shift_id: Annotated[Id, Path()], room_id: Annotated[Id, Path()],
                      body: RoomRateIn) -> ShiftTemplateOut:
    """Give a room its own price for this shift."""
    shift, room = _shift(db_session, shift_id), _room(db_session, room_id)
    try:
        service.set_room_rate(db_session=db_session, shift=shift, room=room, price_cents=body.price_cents)
    except service.RoomsError as exc:
        raise HTTPException(422, str(exc)) from None
    db_session.commit()
    return _shift_out(db_session, shift)


@api.delete("/shift-templates/{shift_id}/rates/{room_id}", response_model=ShiftTemplateOut,
            dependencies=[allow(ADMIN)])
def api_remove_room_rate(db_session: SessionDep, shift_id: Annotated[Id, Path()],
                         room_id: Annotated[Id, Path()]) -> ShiftTemplateOut:
    """Let a room cost the shift's own price again (nothing changes where it had no rate)."""
    shift, room = _shift(db_session, shift_id), _room(db_session, room_id)
    service.set_room_rate(db_session=db_session, shift=shift, room=room, price_cents=None)
    db_session.commit()
    return _shift_out(db_session, shift)
