"""Hygiene pages (rounds on the tablet, record, supplies, templates) and the hygiene JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError

from location_ops import i18n, nav
from location_ops.access import HYGIENE, HYGIENE_STAFF, HYGIENE_TEMPLATES
from location_ops.accounts.deps import CurrentPrincipal, Principal, allow
from location_ops.accounts.models import Role
from location_ops.clock import LOCAL_TZ, local_today, utcnow
from location_ops.db import SessionDep
from location_ops.events import emit
from location_ops.hygiene import service
from location_ops.hygiene.models import HygieneRound, ItemResult, RoundKind
from location_ops.hygiene.schemas import RoundDetailOut, RoundOut
from location_ops.forms import Checkbox, Day, Id, OptionalDay, OptionalId, OptionalMonth, form_page, refuse
from location_ops.i18n import _, lazy
from location_ops.rooms.models import Room
from location_ops.web import is_htmx, render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["hygiene"])

nav.add("/hygiene", "Hygiene", HYGIENE_STAFF, order=35, group="reception")

KINDS = list(RoundKind)


def _actor(principal: Principal) -> service.Actor:
    return service.Actor(principal.role, principal.id)


def _fail(exc: service.HygieneError):
    """Answer a broken rule with its sentence. No rollback here: that would expire the principal the
    error page still needs; closing the request's session discards whatever was not committed."""
    raise HTTPException(exc.status, str(exc)) from None


# --- overview --------------------------------------------------------------------------------


@router.get("/hygiene", dependencies=[allow(HYGIENE)])
def hygiene_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    settings = request.app.state.settings
    now = utcnow()
    actor = _actor(principal)
    rooms = service.accessible_rooms(db_session=db_session, actor=actor, now=now, settings=settings)
    states = service.room_hygiene_states(db_session=db_session, now=now, settings=settings,
                                         room_ids=[room.id for room in rooms])
    open_rounds = {}
    for room in rooms:
        for kind in KINDS:
            found = service.open_round(db_session=db_session, room_id=room.id, kind=kind)
            if found is not None:
                open_rounds[(room.id, kind)] = found
    staff = principal.role in (Role.HOST, Role.OPERATOR)
    context = {
        "rooms": rooms, "states": states, "open_rounds": open_rounds, "kinds": KINDS if staff else
        [RoundKind.TURNOVER], "staff": staff, "is_operator": principal.role == Role.OPERATOR,
        "workers_allowed": service.workers_allowed(settings),
        "overdue": service.overdue_rounds(db_session=db_session, now=now, settings=settings) if staff else [],
        "shopping": service.shopping_list(db_session=db_session) if staff else [],
        "done_room": request.query_params.get("done", "")[:4],
    }
    db_session.commit()  # the defaults may have been installed on first use
    return render(request, "hygiene/page.html", context)


@router.post("/hygiene/rooms/{room_id}/rounds", dependencies=[allow(HYGIENE), form_page("/hygiene")])
def round_start(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()],
                kind: Annotated[str, Form(max_length=16)] = ""):
    try:
        hygiene_round = service.start_round(db_session=db_session, room_id=room_id, kind=kind,
                                            actor=_actor(principal), now=utcnow(),
                                            settings=request.app.state.settings)
    except service.HygieneError as exc:
        if exc.status == 404:
            _fail(exc)
        refuse(db_session, None, exc, exc.status)
    _publish(db_session, hygiene_round)
    db_session.commit()
    return RedirectResponse(f"/hygiene/rooms/{room_id}/rounds/{hygiene_round.id}", status_code=303)


# --- one round -------------------------------------------------------------------------------


def _load(request: Request, db_session, principal: Principal, room_id: int, round_id: int) -> HygieneRound:
    try:
        return service.get_round(db_session=db_session, round_id=round_id, room_id=room_id, actor=_actor(principal),
                                 now=utcnow(), settings=request.app.state.settings)
    except service.HygieneError as exc:
        _fail(exc)


def _round_context(db_session, hygiene_round: HygieneRound, **extra) -> dict:
    answers = {result.item_id: result for result in hygiene_round.results}
    return {
        "round": hygiene_round, "room": db_session.get(Room, hygiene_round.room_id), "answers": answers,
        "items": hygiene_round.template.items, "answered": len(answers),
        "total": len(hygiene_round.template.items), "lang": i18n.current_language(),
        "done_by": service.done_by_label(hygiene_round.done_by_role, hygiene_round.done_by_id),
        "done_by_label": service.done_by_label, **extra,
    }


@router.get("/hygiene/rooms/{room_id}/rounds/{round_id}", dependencies=[allow(HYGIENE)])
def round_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()], round_id: Annotated[Id, Path()],
               problem: Annotated[OptionalId, Query(title=lazy("Item"))] = None):
    hygiene_round = _load(request, db_session, principal, room_id, round_id)
    return render(request, "hygiene/round.html", _round_context(db_session, hygiene_round, problem_item=problem))


@router.get("/hygiene/rooms/{room_id}/rounds/{round_id}/items/{item_id}/problem", dependencies=[allow(HYGIENE)])
def round_item_problem(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()],
                       round_id: Annotated[Id, Path()], item_id: Annotated[Id, Path()]):
    """The item with its problem form open (note, out of service): the htmx swap of "Not in order"."""
    hygiene_round = _load(request, db_session, principal, room_id, round_id)
    item = next((item for item in hygiene_round.template.items if item.id == item_id), None)
    if item is None:
        raise HTTPException(404, _("That item is not on this round's checklist."))
    if not is_htmx(request):
        return RedirectResponse(f"/hygiene/rooms/{room_id}/rounds/{round_id}?problem={item_id}#item-{item_id}",
                                status_code=303)
    return render(request, "hygiene/_item.html", _round_context(db_session, hygiene_round, item=item,
                                                                problem_item=item_id))


@router.post("/hygiene/rooms/{room_id}/rounds/{round_id}/items/{item_id}",
             dependencies=[allow(HYGIENE), form_page("/hygiene/rooms/{room_id}/rounds/{round_id}")])
def round_item(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()], round_id: Annotated[Id, Path()],
               item_id: Annotated[Id, Path()], result: Annotated[str, Form(max_length=16)] = "",
               note: Annotated[str, Form(max_length=2000)] = "", low_stock: Annotated[Checkbox, Form(title=lazy("Running low"))] = False,
               out_of_service: Annotated[Checkbox, Form(title=lazy("Put the room out of service"))] = False):
    hygiene_round = _load(request, db_session, principal, room_id, round_id)
    try:
        service.record_item(db_session=db_session, hygiene_round=hygiene_round, item_id=item_id, result=result,
                            actor=_actor(principal), now=utcnow(), note=note, low_stock=low_stock,
                            out_of_service=out_of_service)
    except IntegrityError:
        raise HTTPException(409, _("Someone else answered this item at the same moment; reload the page.")) from None
    except service.HygieneError as exc:
        item = next((item for item in hygiene_round.template.items if item.id == item_id), None)
        if is_htmx(request) and item is not None and exc.status == 400:
            db_session.rollback()
            db_session.refresh(hygiene_round)
            context = _round_context(db_session, hygiene_round, item=item, error=str(exc), draft_note=note,
                                     draft_failed=result == ItemResult.FAILED.value)
            return render(request, "hygiene/_item.html", context, status_code=exc.status)
        if exc.status == 400:
            refuse(db_session, "note" if note or result == ItemResult.FAILED.value else None, exc)
        _fail(exc)
    _publish(db_session, hygiene_round)
    db_session.commit()
    if is_htmx(request):
        item = next(item for item in hygiene_round.template.items if item.id == item_id)
        return render(request, "hygiene/_item_swap.html", _round_context(db_session, hygiene_round, item=item))
    return RedirectResponse(f"/hygiene/rooms/{room_id}/rounds/{round_id}#item-{item_id}", status_code=303)


@router.post("/hygiene/rooms/{room_id}/rounds/{round_id}/pause", dependencies=[allow(HYGIENE)])
def round_pause(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()], round_id: Annotated[Id, Path()]):
    hygiene_round = _load(request, db_session, principal, room_id, round_id)
    try:
        service.pause_round(db_session=db_session, hygiene_round=hygiene_round, now=utcnow())
    except service.HygieneError as exc:
        _fail(exc)
    _publish(db_session, hygiene_round)
    db_session.commit()
    return RedirectResponse("/hygiene", status_code=303)


@router.post("/hygiene/rooms/{room_id}/rounds/{round_id}/resume", dependencies=[allow(HYGIENE)])
def round_resume(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()], round_id: Annotated[Id, Path()]):
    hygiene_round = _load(request, db_session, principal, room_id, round_id)
    try:
        service.resume_round(db_session=db_session, hygiene_round=hygiene_round, now=utcnow())
    except service.HygieneError as exc:
        _fail(exc)
    _publish(db_session, hygiene_round)
    db_session.commit()
    return RedirectResponse(f"/hygiene/rooms/{room_id}/rounds/{round_id}", status_code=303)


@router.post("/hygiene/rooms/{room_id}/rounds/{round_id}/complete", dependencies=[allow(HYGIENE)])
def round_complete(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()],
                   round_id: Annotated[Id, Path()]):
    hygiene_round = _load(request, db_session, principal, room_id, round_id)
    try:
        service.complete_round(db_session=db_session, hygiene_round=hygiene_round, actor=_actor(principal),
                               now=utcnow())
    except service.HygieneError as exc:
        if exc.status == 400:
            db_session.rollback()
            db_session.refresh(hygiene_round)
            # Said once, above the list, with the open items by name; no item opens its problem form.
            return render(request, "hygiene/round.html", _round_context(
                db_session, hygiene_round, complete_error=str(exc), open_items=service.missing_items(hygiene_round)),
                status_code=400)
        _fail(exc)
    _publish(db_session, hygiene_round)
    db_session.commit()
    room = db_session.get(Room, room_id)
    return RedirectResponse(f"/hygiene?done={room.number}", status_code=303)


def _publish(db_session, hygiene_round: HygieneRound) -> None:
    """Tell the staff screens (the board), at commit, that this room's hygiene state changed."""
    emit(db_session, "room", {"room_id": hygiene_round.room_id, "hygiene": True}, audience={Role.HOST, Role.OPERATOR})


# --- staff: history, holds, supplies, report ---------------------------------------------------


@router.get("/hygiene/rooms/{room_id}/history", dependencies=[allow(HYGIENE_STAFF)])
def room_history(request: Request, db_session: SessionDep, room_id: Annotated[Id, Path()],
                 date: Annotated[OptionalDay, Query(title=lazy("Day"))] = None):
    room = db_session.get(Room, room_id)
    if room is None:
        raise HTTPException(404, _("That room does not exist."))
    day = date
    rounds = service.rounds_for(db_session=db_session, room_ids=[room_id], day=day, limit=100)
    return render(request, "hygiene/history.html", {
        "room": room, "rounds": rounds, "day": day, "today": local_today(), "done_by_label": service.done_by_label,
        "holds": service.open_holds(db_session=db_session, room_id=room_id), "lang": i18n.current_language(),
    })


@router.post("/hygiene/rooms/{room_id}/back-in-service", dependencies=[allow(HYGIENE_STAFF)])
def room_back_in_service(request: Request, db_session: SessionDep, principal: CurrentPrincipal, room_id: Annotated[Id, Path()]):
    try:
        service.clear_hold(db_session=db_session, room_id=room_id, by_user_id=principal.id, now=utcnow())
    except service.HygieneError as exc:
        _fail(exc)
    emit(db_session, "room", {"room_id": room_id, "hygiene": True}, audience={Role.HOST, Role.OPERATOR})
    db_session.commit()
    return RedirectResponse("/hygiene", status_code=303)


@router.get("/hygiene/supplies", dependencies=[allow(HYGIENE_STAFF)])
def supplies_page(request: Request, db_session: SessionDep):
    rooms = {room.id: room for room in db_session.query(Room).all()}
    return render(request, "hygiene/supplies.html", {"lines": service.shopping_list(db_session=db_session),
                                                     "rooms": rooms, "lang": i18n.current_language()})


@router.post("/hygiene/supplies/restocked", dependencies=[allow(HYGIENE_STAFF), form_page("/hygiene/supplies")])
def supplies_restocked(db_session: SessionDep, principal: CurrentPrincipal,
                       need_id: Annotated[OptionalId, Form(title=lazy("Need"))] = None,
                       item_key: Annotated[str, Form(max_length=40, title=lazy("Item"))] = ""):
    try:
        service.restock(db_session=db_session, by_user_id=principal.id, now=utcnow(),
                        need_id=need_id, item_key=item_key or None)
    except service.HygieneError as exc:
        _fail(exc)
    db_session.commit()
    return RedirectResponse("/hygiene/supplies", status_code=303)


def _report(request: Request, db_session, month: dt.date | None) -> service.MonthReport:
    first = month or local_today()
    return service.monthly_report(db_session=db_session, year=first.year, month=first.month, now=utcnow(),
                                  settings=request.app.state.settings)


@router.get("/hygiene/report", dependencies=[allow(HYGIENE_STAFF)])
def report_page(request: Request, db_session: SessionDep, month: Annotated[OptionalMonth, Query(title=lazy("Month"))] = None):
    report = _report(request, db_session, month)
    return render(request, "hygiene/report.html", {
        "report": report, "month": f"{report.year:04d}-{report.month:02d}", "kinds": KINDS,
        "done_by_label": service.done_by_label, "lang": i18n.current_language(), "local_tz": LOCAL_TZ,
    })


@router.get("/hygiene/report.csv", dependencies=[allow(HYGIENE_STAFF)])
def report_csv(request: Request, db_session: SessionDep, month: Annotated[OptionalMonth, Query(title=lazy("Month"))] = None):
    report = _report(request, db_session, month)
    name = f"hygiene-{report.year:04d}-{report.month:02d}.csv"
    return Response(service.report_csv(report, i18n.current_language()), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- operator: templates ---------------------------------------------------------------------


def _kind_or_404(kind: str) -> RoundKind:
    try:
        return RoundKind(kind)
    except ValueError:
        raise HTTPException(404, _("There is no checklist of that kind.")) from None


@router.get("/hygiene/templates", dependencies=[allow(HYGIENE_TEMPLATES)])
def templates_page(request: Request, db_session: SessionDep):
    now = utcnow()
    current = {kind: service.current_template(db_session=db_session, kind=kind, now=now) for kind in KINDS}
    db_session.commit()
    return render(request, "hygiene/templates.html", {"kinds": KINDS, "current": current,
                                                      "lang": i18n.current_language()})


@router.get("/hygiene/templates/{kind}", dependencies=[allow(HYGIENE_TEMPLATES)])
def template_edit(request: Request, db_session: SessionDep, kind: str):
    kind = _kind_or_404(kind)
    template = service.current_template(db_session=db_session, kind=kind, now=utcnow())
    db_session.commit()
    return render(request, "hygiene/template_edit.html", {
        "kind": kind, "template": template, "versions": service.template_versions(db_session=db_session, kind=kind),
        "blank_rows": 3})


@router.post("/hygiene/templates/{kind}", dependencies=[allow(HYGIENE_TEMPLATES)])
async def template_save(request: Request, db_session: SessionDep, principal: CurrentPrincipal, kind: str):
    kind = _kind_or_404(kind)
    form = await request.form()
    keys, texts_nl, texts_en = form.getlist("key"), form.getlist("text_nl"), form.getlist("text_en")
    supplies, removed = set(form.getlist("supply")), set(form.getlist("remove"))
    if not (len(keys) == len(texts_nl) == len(texts_en)) or len(keys) > 60:
        raise HTTPException(400, _("The checklist form was incomplete; reload the page and try again."))
    drafts = []
    for index, (key, text_nl, text_en) in enumerate(zip(keys, texts_nl, texts_en)):
        if str(index) in removed:
            continue
        drafts.append(service.ItemDraft(str(text_nl), str(text_en), str(index) in supplies, str(key)))
    try:
        service.save_template(db_session=db_session, kind=kind, drafts=drafts, by_user_id=principal.id, now=utcnow())
    except service.HygieneError as exc:
        db_session.rollback()
        template = service.current_template(db_session=db_session, kind=kind, now=utcnow())
        return render(request, "hygiene/template_edit.html", {
            "kind": kind, "template": template, "error": str(exc), "blank_rows": 3,
            "versions": service.template_versions(db_session=db_session, kind=kind)}, status_code=exc.status)
    db_session.commit()
    return RedirectResponse(f"/hygiene/templates/{kind.value}?saved=1", status_code=303)


# --- JSON API ----------------------------------------------------------------------------------


def _round_out(db_session, hygiene_round: HygieneRound, detail: bool = False) -> dict:
    items = {item.id: item for item in hygiene_round.template.items}
    language = i18n.current_language()
    data = {
        "id": hygiene_round.id, "room_id": hygiene_round.room_id,
        "room_number": db_session.get(Room, hygiene_round.room_id).number, "kind": hygiene_round.kind.value,
        "status": hygiene_round.status.value, "template_version": hygiene_round.template.version,
        "reason": hygiene_round.reason, "created_at": hygiene_round.created_at,
        "started_at": hygiene_round.started_at, "completed_at": hygiene_round.completed_at,
        "done_by": service.done_by_label(hygiene_round.done_by_role, hygiene_round.done_by_id),
        "items_total": len(items), "items_answered": len(hygiene_round.results),
        "items_failed": sum(1 for r in hygiene_round.results if r.result == ItemResult.FAILED),
    }
    if detail:
        data["results"] = [{
            "item_id": r.item_id, "item_key": items[r.item_id].key, "text": items[r.item_id].text(language),
            "result": r.result.value, "note": r.note, "low_stock": r.low_stock, "out_of_service": r.out_of_service,
            "at": r.at, "by": service.done_by_label(r.by_role, r.by_id)} for r in hygiene_round.results]
    return data


@api.get("/hygiene/rounds", response_model=list[RoundOut], dependencies=[allow(HYGIENE)],
         responses={400: {"description": "Bad date"}, 404: {"description": "No such room"}})
def api_rounds(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
               room_id: Annotated[Id | None, Query()] = None, date: Annotated[Day | None, Query()] = None):
    """List hygiene rounds, newest first, of a room and/or a local day (YYYY-MM-DD)."""
    settings = request.app.state.settings
    actor = _actor(principal)
    try:
        day = date
        if actor.role == Role.WORKER:
            if not service.workers_allowed(settings):
                raise service.NotAllowed(_("Hygiene rounds by workers are switched off at this location."))
            allowed = [room.id for room in service.accessible_rooms(db_session=db_session, actor=actor, now=utcnow(),
                                                                    settings=settings)]
            if room_id is not None and room_id not in allowed:
                raise service.NotFound(_("That room does not exist."))
            rounds = [r for r in service.rounds_for(db_session=db_session, room_ids=[room_id] if room_id else allowed,
                                                    day=day) if r.kind == RoundKind.TURNOVER]
        else:
            if room_id is not None and db_session.get(Room, room_id) is None:
                raise service.NotFound(_("That room does not exist."))
            rounds = service.rounds_for(db_session=db_session, room_ids=[room_id] if room_id else None, day=day)
    except service.HygieneError as exc:
        _fail(exc)
    return [_round_out(db_session, r) for r in rounds]


@api.get("/hygiene/rounds/{round_id}", response_model=RoundDetailOut, dependencies=[allow(HYGIENE)],
         responses={404: {"description": "No such round"}})
def api_round(request: Request, db_session: SessionDep, principal: CurrentPrincipal, round_id: Annotated[Id, Path()]):
    """One round with its answers."""
    hygiene_round = db_session.get(HygieneRound, round_id)
    if hygiene_round is None:
        raise HTTPException(404, _("That round does not exist."))
    hygiene_round = _load(request, db_session, principal, hygiene_round.room_id, round_id)
    return _round_out(db_session, hygiene_round, detail=True)

