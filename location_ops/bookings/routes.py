"""Booking pages (worker grid, own bookings, host and operator views), calendar feed, JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from location_ops import nav
from location_ops.access import BOOKINGS, PUBLIC, ROOM_AVAILABILITY
from location_ops.accounts.deps import CurrentPrincipal, allow
from location_ops.accounts.models import Role
from location_ops.bookings import service
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.bookings.schemas import BookingIn, BookingOut, ShiftAvailability, StaffBookingOut
from location_ops.clock import local_today, utcnow
from location_ops.db import SessionDep
from location_ops.events import emit
from location_ops.forms import MAX_ID, Day, Id
from location_ops.i18n import _, lazy
from location_ops.formatting import fmt_cents
from location_ops.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["bookings"])

nav.add("/book", "Book a room", ROOM_AVAILABILITY, order=10, group="rentals")
nav.add("/bookings", "Bookings", BOOKINGS, order=11, group="rentals")

STATUS = {service.BookingError: 400, service.BookingForbidden: 403, service.NotFound: 404,
          service.BookingConflict: 409}
GRID_DAYS = 7


def _http(exc: Exception) -> HTTPException:
    return HTTPException(STATUS[type(exc)], str(exc))


def _announce(db_session, booking: Booking, change: str) -> None:
    """Tell the host and operator screens (ids only), at commit, that a room's bookings changed."""
    emit(db_session, "room", {"room_id": booking.room_id, "booking_id": booking.id, "change": change},
         audience={Role.HOST, Role.OPERATOR})


def _worker_only(principal) -> None:
    if principal.role != Role.WORKER:
        raise HTTPException(403, _("Only workers book rooms."))


# --- worker: the week grid and booking -----------------------------------------------------


def _grid_context(request: Request, db_session, principal, day: dt.date) -> dict:
    service.check_view_day(day)  # before the week's dates are counted from it
    settings = request.app.state.settings
    today = local_today()
    first = today if day < today + dt.timedelta(days=GRID_DAYS) else day
    days = [first + dt.timedelta(days=i) for i in range(GRID_DAYS)]
    if day not in days:
        day = first
    viewer = principal.id if principal.role == Role.WORKER else None
    grid = service.availability(db_session=db_session, first_day=day, days=1, viewer_id=viewer)[0]
    horizon = today + dt.timedelta(days=settings.booking_horizon_days)
    previous = first - dt.timedelta(days=GRID_DAYS)
    # Babel's currency formatting is the slowest part of the page: once per distinct price.
    prices = {cell.price_cents for _room, cells in grid.rows for cell in cells}
    blockers = (service.booking_blockers(db_session=db_session, worker_id=principal.id, day=day)
                if principal.role == Role.WORKER else [])
    return {
        "grid": grid, "day": day, "days": days, "today": today, "blockers": blockers,
        "prices": {cents: fmt_cents(cents) for cents in prices},
        "can_book": principal.role == Role.WORKER and day <= horizon,
        "beyond_horizon": day > horizon,
        "prev_week": previous if previous >= today else (today if first > today else None),
        "next_week": first + dt.timedelta(days=GRID_DAYS) if first + dt.timedelta(days=GRID_DAYS) <= horizon else None,
        "horizon_days": settings.booking_horizon_days,
    }


@router.get("/book", dependencies=[allow(ROOM_AVAILABILITY)])
def grid_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
              day: Annotated[Day | None, Query()] = None,
              booked: Annotated[Id | None, Query()] = None):
    chosen = day or local_today()
    context = _grid_context(request, db_session, principal, chosen)
    if booked is not None and principal.role == Role.WORKER:
        try:
            mine = service.get_own(db_session=db_session, worker_id=principal.id, booking_id=booked)
            context["booked"] = mine
            context["booked_room"] = db_session.get(service.Room, mine.room_id)
        except service.NotFound:
            pass
    if request.headers.get("hx-request") == "true":
        return render(request, "bookings/grid.html", context, block_name="grid")
    return render(request, "bookings/grid.html", context)


@router.get("/book/confirm", dependencies=[allow(BOOKINGS)])
def book_confirm(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                 room_id: Annotated[Id, Query(title=lazy("Room"))],
                 day: Annotated[Day, Query(title=lazy("Day"))],
                 shift: Annotated[str, Query(max_length=32, title=lazy("Shift"))]):
    """Before booking: the room, the time, the price and what cancelling would cost."""
    _worker_only(principal)
    try:
        terms = service.quote(db_session=db_session, settings=request.app.state.settings, worker=principal.user,
                              room_id=room_id, day=day, shift=shift)
    except (service.BookingError, service.BookingForbidden, service.BookingConflict) as exc:
        return _grid_error(request, db_session, principal, day, exc)
    return render(request, "bookings/confirm.html", {"quote": terms, "day": day})


def _grid_error(request: Request, db_session, principal, chosen: dt.date, exc: Exception):
    """The grid again with the refusal's sentence on top (and the status it deserves)."""
    today = local_today()
    safe_day = min(max(chosen, today), today + dt.timedelta(days=365))
    context = _grid_context(request, db_session, principal, safe_day)
    return render(request, "bookings/grid.html", {**context, "error": str(exc)}, status_code=STATUS[type(exc)])


@router.post("/book", dependencies=[allow(BOOKINGS)])
def book_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                room_id: Annotated[int, Form(ge=1, le=MAX_ID, title=lazy("Room"))],
                day: Annotated[Day, Form(title=lazy("Day"))],
                shift: Annotated[str, Form(max_length=32, title=lazy("Shift"))]):
    _worker_only(principal)
    chosen = day
    try:
        booking = service.book(db_session=db_session, settings=request.app.state.settings, worker=principal.user,
                               room_id=room_id, day=chosen, shift=shift)
    except (service.BookingError, service.BookingForbidden, service.BookingConflict) as exc:
        db_session.rollback()
        return _grid_error(request, db_session, principal, chosen, exc)
    _announce(db_session, booking, "booked")
    db_session.commit()
    return RedirectResponse(f"/book?day={chosen.isoformat()}&booked={booking.id}", status_code=303)


# --- bookings: own (worker), today's (host), all (operator) --------------------------------


@router.get("/bookings", dependencies=[allow(BOOKINGS)])
def bookings_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                  day: Annotated[Day | None, Query()] = None):
    today = local_today()
    if principal.role == Role.WORKER:
        now = utcnow()
        rows = service.worker_bookings(db_session=db_session, worker_id=principal.id,
                                       since=now - dt.timedelta(days=14))
        settings = request.app.state.settings
        upcoming = [(b, n, service.cancel_terms(db_session=db_session, settings=settings, booking=b, now=now))
                    for b, n in rows if b.status == BookingStatus.BOOKED and b.starts_at > now]
        earlier = [(b, n) for b, n in rows if not (b.status == BookingStatus.BOOKED and b.starts_at > now)]
        feed = service.feed_of(db_session=db_session, worker_id=principal.id)
        feed_url = str(request.url_for("calendar_feed", token=feed.token)) if feed else None
        return render(request, "bookings/mine.html", {"upcoming": upcoming, "earlier": list(reversed(earlier)),
                                                      "feed_url": feed_url})
    if principal.role == Role.HOST:
        return render(request, "bookings/host.html",
                      {"by_day": service.host_bookings(db_session=db_session, today=today), "today": today})
    # This week (from Monday) unless another first day is asked for.
    this_week = today - dt.timedelta(days=today.weekday())
    first = day or this_week
    return render(request, "bookings/overview.html", {
        "overview": service.operator_overview(db_session=db_session, first_day=first, days=7), "first": first,
        "prev": first - dt.timedelta(days=7), "next": first + dt.timedelta(days=7), "today": today,
        "this_week": this_week})


@router.get("/bookings/{booking_id}/cancel", dependencies=[allow(BOOKINGS)])
def cancel_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal, booking_id: Annotated[Id, Path()]):
    _worker_only(principal)
    try:
        booking = service.get_own(db_session=db_session, worker_id=principal.id, booking_id=booking_id)
    except service.NotFound as exc:
        raise _http(exc) from None
    terms = service.cancel_terms(db_session=db_session, settings=request.app.state.settings, booking=booking)
    room = db_session.get(service.Room, booking.room_id)
    return render(request, "bookings/cancel.html", {"booking": booking, "terms": terms, "room": room})


@router.post("/bookings/{booking_id}/cancel", dependencies=[allow(BOOKINGS)])
def cancel_submit(request: Request, db_session: SessionDep, principal: CurrentPrincipal, booking_id: Annotated[Id, Path()]):
    _worker_only(principal)
    try:
        booking = service.cancel(db_session=db_session, settings=request.app.state.settings,
                                 worker_id=principal.id, booking_id=booking_id)
    except (service.BookingError, service.NotFound) as exc:
        raise _http(exc) from None
    _announce(db_session, booking, "cancelled")
    db_session.commit()
    return RedirectResponse("/bookings?cancelled=1", status_code=303)


# --- calendar feed ------------------------------------------------------------------------


@router.post("/bookings/calendar-link", dependencies=[allow(BOOKINGS)])
def calendar_renew(db_session: SessionDep, principal: CurrentPrincipal):
    _worker_only(principal)
    service.renew_feed(db_session=db_session, worker_id=principal.id)
    db_session.commit()
    return RedirectResponse("/bookings#calendar", status_code=303)


@router.post("/bookings/calendar-link/revoke", dependencies=[allow(BOOKINGS)])
def calendar_revoke(db_session: SessionDep, principal: CurrentPrincipal):
    _worker_only(principal)
    service.revoke_feed(db_session=db_session, worker_id=principal.id)
    db_session.commit()
    return RedirectResponse("/bookings#calendar", status_code=303)


@router.get("/calendar/{token}.ics", name="calendar_feed", dependencies=[allow(PUBLIC)])
def calendar_feed(db_session: SessionDep, token: str):
    worker_id = service.feed_worker(db_session=db_session, token=token)
    if worker_id is None:
        raise HTTPException(404, _("This calendar link does not exist (any more)."))
    body = service.calendar_ics(db_session=db_session, worker_id=worker_id)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="planner.ics"'})


# --- JSON API -----------------------------------------------------------------------------


@api.get("/shifts", response_model=list[ShiftAvailability], dependencies=[allow(ROOM_AVAILABILITY)])
def api_shifts(db_session: SessionDep, date: Annotated[Day, Query()]) -> list[ShiftAvailability]:
    """Per room and shift on a local date: start, end and whether it is available — never who booked."""
    day = date
    grid = service.availability(db_session=db_session, first_day=day, days=1)[0]
    return [ShiftAvailability(room_id=room.id, room_number=room.number, shift=cell.slot.shift.name, date=day,
                              start=cell.slot.starts_at, end=cell.slot.ends_at, available=cell.available,
                              price_cents=cell.price_cents)
            for room, cells in grid.rows for cell in cells]


def _staff_out(row: service.StaffBooking) -> StaffBookingOut:
    return StaffBookingOut(**BookingOut.model_validate(row.booking).model_dump(), worker=row.pseudonym)


@api.get("/bookings", response_model=list[BookingOut] | list[StaffBookingOut], dependencies=[allow(BOOKINGS)])
def api_bookings(db_session: SessionDep, principal: CurrentPrincipal,
                 date: Annotated[Day | None, Query()] = None):
    """A worker's own bookings; the host's today and tomorrow; the operator's for a date (with pseudonyms)."""
    today = local_today()
    if principal.role == Role.WORKER:
        rows = service.worker_bookings(db_session=db_session, worker_id=principal.id,
                                       since=utcnow() - dt.timedelta(days=31))
        return [BookingOut.model_validate(b) for b, _n in rows]
    if principal.role == Role.HOST:
        days = [today, today + dt.timedelta(days=1)]
    else:
        days = [date or today]
    return [_staff_out(row) for row in service.bookings_for_days(db_session=db_session, days=days,
                                                                 include_cancelled=True)]


@api.post("/bookings", response_model=BookingOut, status_code=201, dependencies=[allow(BOOKINGS)],
          responses={400: {"description": "Bad input"}, 403: {"description": "No active contract"},
                     409: {"description": "Slot taken or already holding a room then"}})
def api_book(request: Request, db_session: SessionDep, principal: CurrentPrincipal, body: BookingIn) -> Booking:
    """Book a room for a shift: {"room_id", "date", "shift"}."""
    _worker_only(principal)
    settings = request.app.state.settings
    try:
        day = body.date
        if body.shift == service.HOURLY:
            if body.start is None:
                raise service.BookingError(_("For hourly rental give a start time as HH:MM."))
            booking = service.book_hours(db_session=db_session, settings=settings, worker=principal.user,
                                         room_id=body.room_id, day=day, start=body.start, hours=body.hours or 0)
        else:
            booking = service.book(db_session=db_session, settings=settings, worker=principal.user,
                                   room_id=body.room_id, day=day, shift=body.shift)
    except (service.BookingError, service.BookingForbidden, service.BookingConflict) as exc:
        raise _http(exc) from None
    _announce(db_session, booking, "booked")
    db_session.commit()
    return booking


@api.get("/bookings/{booking_id}", response_model=BookingOut, dependencies=[allow(BOOKINGS)])
def api_booking(db_session: SessionDep, principal: CurrentPrincipal, booking_id: Annotated[Id, Path()]) -> Booking:
    """One of your own bookings."""
    _worker_only(principal)
    try:
        return service.get_own(db_session=db_session, worker_id=principal.id, booking_id=booking_id)
    except service.NotFound as exc:
        raise _http(exc) from None


@api.post("/bookings/{booking_id}/cancel", response_model=BookingOut, dependencies=[allow(BOOKINGS)])
def api_cancel(request: Request, db_session: SessionDep, principal: CurrentPrincipal, booking_id: Annotated[Id, Path()]) -> Booking:
    """Cancel one of your own bookings (free until the deadline; later the contract's charge)."""
    _worker_only(principal)
    try:
        booking = service.cancel(db_session=db_session, settings=request.app.state.settings,
                                 worker_id=principal.id, booking_id=booking_id)
    except (service.BookingError, service.NotFound) as exc:
        raise _http(exc) from None
    _announce(db_session, booking, "cancelled")
    db_session.commit()
    return booking
