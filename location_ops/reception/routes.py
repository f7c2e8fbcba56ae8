"""Reception pages (the live board, check-in/out, the log, shift handover) and the log API.

There is no route that changes or deletes a log entry: a correction is a new entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse

from location_ops import nav
from location_ops.access import RECEPTION_READ, RECEPTION_WRITE
from location_ops.accounts.deps import CurrentPrincipal, Principal, allow
from location_ops.accounts.models import Role
from location_ops.alarms import service as alarms_service
from location_ops.clock import local_today, utcnow
from location_ops.db import SessionDep
from location_ops.events import emit
from location_ops.forms import Day, Id, OptionalDay, OptionalId, form_page, refuse
from location_ops.i18n import _, lazy
from location_ops.reception import service
from location_ops.reception.models import MANUAL_KINDS, EntryKind
from location_ops.reception.schemas import LogEntryForm, LogEntryIn, LogEntryOut
from location_ops.rooms import service as rooms_service
from location_ops.web import is_htmx, render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["reception"])

nav.add("/reception", "Board", RECEPTION_READ, 10, group="reception")
nav.add("/reception/log", "Reception log", RECEPTION_READ, 12, group="reception")


def _fail(error: service.ReceptionError):
    raise HTTPException(error.status, str(error)) from None


def _settings(request: Request):
    return request.app.state.settings


# --- the board -------------------------------------------------------------------------------


def _board_context(request: Request, db_session, principal: Principal, **extra) -> dict:
    board = service.board(db_session=db_session, settings=_settings(request), now=utcnow())
    db_session.commit()
    return {"board": board, "can_write": principal.role == Role.HOST, "states": service.TileState,
            "title_of": alarms_service.alarm_title, **extra}


@router.get("/reception", dependencies=[allow(RECEPTION_READ)])
def board_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    """The board; a host with no shift open first sees the handover (what is open) and starts one."""
    if principal.role == Role.HOST and service.current_shift(db_session=db_session) is None:
        db_session.commit()
        return RedirectResponse("/reception/shift", status_code=303)
    return render(request, "reception/board.html", _board_context(request, db_session, principal))


@router.get("/reception/board", dependencies=[allow(RECEPTION_READ)])
def board_partial(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    """The board alone: what the page includes and what the live screen re-fetches."""
    return render(request, "reception/_board.html", _board_context(request, db_session, principal))


def _sheet_error(request: Request, error: service.ReceptionError, title: str):
    """An htmx action that failed: show the sentence in the sheet (the board stays); else an error page."""
    if is_htmx(request):
        response = render(request, "reception/_sheet_error.html", {"message": str(error), "title": title},
                          status_code=error.status)
        response.headers["HX-Retarget"] = "#sheet"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    _fail(error)


def _after_action(request: Request, db_session, principal: Principal, message: str):
    if is_htmx(request):
        return render(request, "reception/_board_swap.html",
                      _board_context(request, db_session, principal, flash=message))
    return RedirectResponse("/reception", status_code=303)


@router.get("/reception/bookings/{booking_id}/check-in", dependencies=[allow(RECEPTION_WRITE)])
def check_in_sheet(request: Request, db_session: SessionDep, booking_id: Annotated[Id, Path()]):
    """The confirm step (the second tap): who, which room, early or late, the hygiene warning."""
    try:
        preview = service.check_in_preview(db_session=db_session, settings=_settings(request),
                                           booking_id=booking_id, now=utcnow())
    except service.ReceptionError as error:
        return _sheet_error(request, error, _("Check in"))
    db_session.commit()
    template = "reception/_sheet_check_in.html" if is_htmx(request) else "reception/sheet_page.html"
    return render(request, template, {"preview": preview, "sheet": "reception/_sheet_check_in.html"})


@router.post("/reception/bookings/{booking_id}/check-in", dependencies=[allow(RECEPTION_WRITE)])
def check_in_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal, booking_id: Annotated[Id, Path()]):
    try:
        arrival = service.check_in(db_session=db_session, settings=_settings(request), booking_id=booking_id,
                                   host_id=principal.id, now=utcnow())
    except service.ReceptionError as error:
        return _sheet_error(request, error, _("Check in"))
    service.announce(db_session, room_ids=[arrival.booking.room_id], entry=arrival.entry)
    db_session.commit()
    message = _("%(name)s checked in to room %(n)d.") % {"name": arrival.pseudonym, "n": arrival.room_number}
    return _after_action(request, db_session, principal, message)


@router.get("/reception/bookings/{booking_id}/check-out", dependencies=[allow(RECEPTION_WRITE)])
def check_out_sheet(request: Request, db_session: SessionDep, booking_id: Annotated[Id, Path()]):
    try:
        preview = service.check_out_preview(db_session=db_session, settings=_settings(request),
                                            booking_id=booking_id, now=utcnow())
    except service.ReceptionError as error:
        return _sheet_error(request, error, _("Check out"))
    db_session.commit()
    context = {"preview": preview, "sheet": "reception/_sheet_check_out.html"}
    template = "reception/_sheet_check_out.html" if is_htmx(request) else "reception/sheet_page.html"
    return render(request, template, context)


@router.post("/reception/bookings/{booking_id}/check-out", dependencies=[allow(RECEPTION_WRITE)])
def check_out_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal, booking_id: Annotated[Id, Path()]):
    try:
        departure = service.check_out(db_session=db_session, settings=_settings(request), booking_id=booking_id,
                                      host_id=principal.id, now=utcnow())
    except service.ReceptionError as error:
        return _sheet_error(request, error, _("Check out"))
    service.announce(db_session, room_ids=[departure.booking.room_id], entry=departure.entry)
    db_session.commit()
    message = _("%(name)s checked out of room %(n)d; the room needs cleaning.") % {
        "name": departure.pseudonym, "n": departure.room_number}
    return _after_action(request, db_session, principal, message)


@router.get("/reception/rooms/{room_id}/give", dependencies=[allow(RECEPTION_WRITE)])
def give_sheet(request: Request, db_session: SessionDep, room_id: Annotated[Id, Path()]):
    """Give a free room to a worker without a booking."""
    try:
        room = rooms_service.get_room(db_session=db_session, room_id=room_id)
    except rooms_service.NotFound:
        return _sheet_error(request, service.NotFound(_("This room does not exist.")), _("Give a room"))
    candidates = service.give_candidates(db_session=db_session, now=utcnow())
    db_session.commit()
    context = {"room": room, "candidates": candidates, "sheet": "reception/_sheet_give.html"}
    template = "reception/_sheet_give.html" if is_htmx(request) else "reception/sheet_page.html"
    return render(request, template, context)


@router.post("/reception/rooms/{room_id}/give",
             dependencies=[allow(RECEPTION_WRITE), form_page("/reception/rooms/{room_id}/give", htmx_target="#sheet")])
def give_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()],
                worker_id: Annotated[Id, Form(title=lazy("Worker"))]):
    try:
        arrival = service.walk_in(db_session=db_session, settings=_settings(request), worker_id=worker_id,
                                  room_id=room_id, host_id=principal.id, now=utcnow())
    except service.ReceptionError as error:
        refuse(db_session, error.field, error, error.status)
    service.announce(db_session, room_ids=[room_id], entry=arrival.entry)
    db_session.commit()
    message = _("%(name)s checked in to room %(n)d.") % {"name": arrival.pseudonym, "n": arrival.room_number}
    return _after_action(request, db_session, principal, message)


# --- the log ---------------------------------------------------------------------------------


def _log_context(request: Request, db_session, principal: Principal, day: dt.date, kind: str, room_id: int | None,
                 **extra) -> dict:
    try:
        entries = service.list_entries(db_session=db_session, day=day, kind=kind or None, room_id=room_id)
    except service.ReceptionError as error:
        _fail(error)
    rooms = rooms_service.list_rooms(db_session=db_session)
    db_session.commit()
    return {"entries": entries, "rooms": rooms, "day": day, "kind": kind, "room_id": room_id,
            "kinds": list(EntryKind), "manual_kinds": MANUAL_KINDS, "can_write": principal.role == Role.HOST,
            "previous_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
            "today": local_today(), **extra}


@router.get("/reception/log", dependencies=[allow(RECEPTION_READ)])
def log_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
             day: Annotated[OptionalDay, Query(title=lazy("Day"))] = None,
             kind: Annotated[str, Query(max_length=16)] = "",
             room: Annotated[OptionalId, Query(title=lazy("Room"))] = None):
    context = _log_context(request, db_session, principal, day or local_today(), kind, room)
    return render(request, "reception/log.html", context)


@router.get("/reception/log/report", dependencies=[allow(RECEPTION_READ)])
def log_report(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
               day: Annotated[OptionalDay, Query(title=lazy("Day"))] = None):
    """A printable day report of the log, oldest first."""
    context = _log_context(request, db_session, principal, day or local_today(), "", None)
    context["entries"] = list(reversed(context["entries"]))
    return render(request, "reception/report.html", context)


@router.post("/reception/log", dependencies=[allow(RECEPTION_WRITE)])
def log_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
               entry_form: Annotated[LogEntryForm, Form()]):
    try:
        entry = service.add_entry(db_session=db_session, kind=entry_form.kind, room_id=entry_form.room,
                                  text=entry_form.text, author_id=principal.id, now=utcnow(),
                                  corrects_id=entry_form.corrects)
    except service.ReceptionError as error:
        refuse(db_session, error.field, error, 400 if error.status == 422 else error.status)
    service.announce(db_session, room_ids=[entry.room_id] if entry.room_id else [], entry=entry)
    db_session.commit()
    return RedirectResponse(f"/reception/log?added={entry.id}", status_code=303)


@router.get("/reception/log/{entry_id}/correct", dependencies=[allow(RECEPTION_WRITE)])
def correct_page(request: Request, db_session: SessionDep, entry_id: Annotated[Id, Path()]):
    try:
        view = service.get_entry(db_session=db_session, entry_id=entry_id)
    except service.ReceptionError as error:
        _fail(error)
    rooms = rooms_service.list_rooms(db_session=db_session)
    db_session.commit()
    return render(request, "reception/correct.html", {"view": view, "rooms": rooms})


@router.post("/reception/log/{entry_id}/correct", dependencies=[allow(RECEPTION_WRITE)])
def correct_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                   entry_id: Annotated[Id, Path()], entry_form: Annotated[LogEntryForm, Form()]):
    """A correction of entry ``entry_id``: a new entry pointing to it (the original stays)."""
    try:
        entry = service.add_entry(db_session=db_session, kind=entry_form.kind, room_id=entry_form.room,
                                  text=entry_form.text, author_id=principal.id, now=utcnow(), corrects_id=entry_id)
    except service.NotFound as error:
        _fail(error)
    except service.ReceptionError as error:
        refuse(db_session, error.field, error, 400 if error.status == 422 else error.status)
    service.announce(db_session, room_ids=[entry.room_id] if entry.room_id else [], entry=entry)
    db_session.commit()
    return RedirectResponse(f"/reception/log?added={entry.id}", status_code=303)


# --- shift handover --------------------------------------------------------------------------


@router.get("/reception/shift", dependencies=[allow(RECEPTION_READ)])
def shift_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    summary = service.handover(db_session=db_session, settings=_settings(request), now=utcnow())
    shift = service.current_shift(db_session=db_session)
    names = alarms_service.user_names(db_session=db_session, ids=[shift.host_id if shift else None])
    db_session.commit()
    return render(request, "reception/shift.html", {
        "summary": summary, "shift": shift, "shift_host": names.get(shift.host_id) if shift else None,
        "can_write": principal.role == Role.HOST, "title_of": alarms_service.alarm_title})


@router.post("/reception/shift/start", dependencies=[allow(RECEPTION_WRITE), form_page("/reception/shift")])
def shift_start(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    try:
        service.start_shift(db_session=db_session, host_id=principal.id, now=utcnow())
    except service.ReceptionError as error:
        refuse(db_session, None, error, error.status)
    db_session.commit()
    return RedirectResponse("/reception", status_code=303)


@router.post("/reception/shift/end", dependencies=[allow(RECEPTION_WRITE), form_page("/reception/shift")])
def shift_end(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
              note: Annotated[str, Form(max_length=2000)] = ""):
    try:
        shift = service.end_shift(db_session=db_session, host_id=principal.id, note=note, now=utcnow())
    except service.ReceptionError as error:
        refuse(db_session, error.field or "note", error, error.status)
    emit(db_session, "log", {"id": shift.handover_entry_id, "kind": EntryKind.HANDOVER.value, "room_id": None},
         audience=service.AUDIENCE)
    db_session.commit()
    return RedirectResponse("/reception/shift", status_code=303)


# --- the log API -----------------------------------------------------------------------------


@api.get("/log", response_model=list[LogEntryOut], dependencies=[allow(RECEPTION_READ)])
def api_log(db_session: SessionDep, day: Annotated[Day | None, Query()] = None,
            kind: Annotated[EntryKind | None, Query()] = None,
            room_id: Annotated[Id | None, Query()] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    """Reception log entries, newest first; filter by local `day` (YYYY-MM-DD), `kind` and `room_id`."""
    try:
        views = service.list_entries(db_session=db_session, day=day, kind=kind, room_id=room_id, limit=limit)
    except service.ReceptionError as error:
        _fail(error)
    return [service.entry_json(view) for view in views]


@api.post("/log", response_model=LogEntryOut, status_code=201, dependencies=[allow(RECEPTION_WRITE)])
def api_log_add(request: Request, db_session: SessionDep, principal: CurrentPrincipal, body: LogEntryIn):
    """Append an entry (visitor_in, visitor_out, incident, note, delivery) or a correction (`corrects_id`)."""
    try:
        entry = service.add_entry(db_session=db_session, kind=body.kind, room_id=body.room_id, text=body.text,
                                  author_id=principal.id, now=utcnow(), corrects_id=body.corrects_id)
    except service.ReceptionError as error:
        _fail(error)
    service.announce(db_session, room_ids=[entry.room_id] if entry.room_id else [], entry=entry)
    db_session.commit()
    return service.entry_json(service.get_entry(db_session=db_session, entry_id=entry.id))


@api.get("/log/{entry_id}", response_model=LogEntryOut, dependencies=[allow(RECEPTION_READ)])
def api_log_entry(db_session: SessionDep, entry_id: Annotated[Id, Path()]):
    try:
        view = service.get_entry(db_session=db_session, entry_id=entry_id)
    except service.ReceptionError as error:
        _fail(error)
    return service.entry_json(view)
