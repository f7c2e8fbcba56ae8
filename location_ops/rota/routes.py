"""Rota pages and JSON: who visits when, talk requests, announcements, the caseworker's feed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from location_ops import nav
from location_ops.access import PUBLIC, ROTA, ROTA_EDIT, TALK_REQUESTS
from location_ops.accounts.deps import CurrentPrincipal, allow
from location_ops.accounts.models import Role, User
from location_ops.clock import local_today, utcnow
from location_ops.db import SessionDep
from location_ops.forms import (
    Day,
    Id,
    OptionalDay,
    OptionalId,
    OptionalTime,
    OptionalWeek,
    Time,
    Week,
    form_page,
    refuse,
)
from location_ops.i18n import _, lazy
from location_ops.rota import service
from location_ops.rota.models import TalkRequest
from location_ops.rota.schemas import CaseworkerOut, OccurrenceOut, TalkRequestIn, TalkRequestOut, WeekOut
from location_ops.web import render, templates

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["rota"])

nav.add("/rota", lazy("Visits"), ROTA, order=40, group="support")
nav.add("/rota/talks", lazy("Talk requests"), TALK_REQUESTS, order=41, group="support")
nav.add("/rota/manage", lazy("Plan visits"), ROTA_EDIT, order=42, group="support")


def _fail(exc: service.RotaError, *, api_call: bool = False) -> HTTPException:
    status = exc.status
    if not api_call and status == 422:
        status = 400
    return HTTPException(status, str(exc))


def _monday(week: dt.date | None) -> dt.date:
    return week if week is not None else service.monday_of(local_today())


def _own_talks_by_key(db_session, user: User) -> dict[tuple[int, dt.date], TalkRequest]:
    if Role(user.role) != Role.WORKER:
        return {}
    return {(talk.visit_id, talk.on_date): talk
            for talk in service.talk_requests_for(db_session=db_session, user=user)}


def _talk_views(db_session, talks: list[TalkRequest]) -> list[dict]:
    views = []
    for talk in talks:
        occurrence = service.find_occurrence(db_session=db_session, visit_id=talk.visit_id, on_date=talk.on_date)
        views.append({"talk": talk, "occurrence": occurrence})
    return views


def _week_context(db_session, principal, monday: dt.date, weeks: int = 2) -> dict:
    own = _own_talks_by_key(db_session, principal.user)
    week_blocks = []
    for offset in range(weeks):
        start = monday + dt.timedelta(weeks=offset)
        week_blocks.append({
            "label": service.week_label(start), "monday": start, "sunday": start + dt.timedelta(days=6),
            "visits": service.week_of(db_session=db_session, monday=start),
        })
    return {
        "weeks": week_blocks,
        "own_talks": own,
        "now": utcnow(),
        "show_details": principal.role != Role.HOST,
        "prev_week": service.week_label(monday - dt.timedelta(weeks=1)),
        "next_week": service.week_label(monday + dt.timedelta(weeks=1)),
        "this_week": service.week_label(service.monday_of(local_today())),
        "topics": service.TOPICS,
    }


# --- pages -------------------------------------------------------------------------------------


@router.get("/rota", dependencies=[allow(ROTA)])
def rota_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
              week: Annotated[OptionalWeek, Query(title=lazy("Week"))] = None):
    monday = _monday(week)
    context = _week_context(db_session, principal, monday)
    context["announcements"] = service.current_announcements(db_session=db_session)
    if principal.role == Role.WORKER:
        context["my_talks"] = _talk_views(
            db_session, service.talk_requests_for(db_session=db_session, user=principal.user, include_past=False))
    return render(request, "rota/page.html", context)


@router.get("/rota/start", dependencies=[allow(ROTA)])
def rota_start_partial(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    """The partial for the worker start page: announcements and who visits this week."""
    start = service.start_content(db_session=db_session)
    return render(request, "rota/_start.html", {"start": start, "show_details": principal.role != Role.HOST})


def _talk_form(request: Request, db_session, principal, visit_id: int, on_date: dt.date, *,
               error: str | None = None, chosen: list[str] | None = None, note: str = "", status_code: int = 200):
    if principal.role != Role.WORKER:
        raise HTTPException(404, _("This page does not exist."))
    occurrence = service.find_occurrence(db_session=db_session, visit_id=visit_id, on_date=on_date)
    if occurrence is None:
        raise HTTPException(404, _("There is no visit on that date."))
    return render(request, "rota/talk_form.html", {
        "occurrence": occurrence, "topics": service.TOPICS, "chosen": chosen or [], "note": note,
        "error": error, "note_max": service.NOTE_MAX, "now": utcnow(),
    }, status_code=status_code)


@router.get("/rota/talk", dependencies=[allow(TALK_REQUESTS)])
def talk_form_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                   visit: Annotated[Id, Query(title=lazy("Visit"))], date: Annotated[Day, Query(title=lazy("Date"))]):
    on_date = date
    occurrence = service.find_occurrence(db_session=db_session, visit_id=visit, on_date=on_date)
    if occurrence is not None and occurrence.cancelled:
        return _talk_form(request, db_session, principal, visit, on_date, status_code=409,
                          error=_("This visit is cancelled. Choose another visit."))
    if occurrence is not None and occurrence.is_past(utcnow()):
        return _talk_form(request, db_session, principal, visit, on_date, status_code=409,
                          error=_("This visit has already taken place. Choose a coming visit."))
    return _talk_form(request, db_session, principal, visit, on_date)


@router.post("/rota/talks", dependencies=[allow(TALK_REQUESTS), form_page("/rota/talk?visit={visit_id}&date={date}")])
def talk_create(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                visit_id: Annotated[Id, Form(title=lazy("Visit"))], date: Annotated[Day, Form(title=lazy("Date"))],
                topics: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
                note: Annotated[str, Form(max_length=5000)] = ""):
    on_date = date
    try:
        service.create_talk_request(db_session=db_session, worker=principal.user, visit_id=visit_id,
                                    on_date=on_date, topics=topics, note=note)
    except service.NotFound as exc:
        raise _fail(exc) from None
    except service.RotaError as exc:
        refuse(db_session, exc.field, exc, 400 if exc.status == 422 else exc.status)
    db_session.commit()
    return RedirectResponse("/rota?asked=1", status_code=303)


@router.post("/rota/talks/{talk_id}/withdraw", dependencies=[allow(TALK_REQUESTS)])
def talk_withdraw(db_session: SessionDep, principal: CurrentPrincipal, talk_id: Annotated[Id, Path()],
                  next: Annotated[str, Form(max_length=20)] = "/rota"):
    try:
        service.withdraw_talk_request(db_session=db_session, worker=principal.user, talk_id=talk_id)
    except service.RotaError as exc:
        raise _fail(exc) from None
    db_session.commit()
    target = next if next in ("/rota", "/rota/talks") else "/rota"
    return RedirectResponse(f"{target}?withdrawn=1", status_code=303)


@router.get("/rota/talks", dependencies=[allow(TALK_REQUESTS)])
def talks_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    talks = service.talk_requests_for(db_session=db_session, user=principal.user, include_past=False)
    return render(request, "rota/talks.html", {"views": _talk_views(db_session, talks), "topics": service.TOPICS})


def _manage_context(db_session, principal, **extra) -> dict:
    user = principal.user
    visits = service.list_visits(db_session=db_session, actor=user)
    profile = (service.get_profile(db_session=db_session, user_id=user.id)
               if principal.role == Role.CASEWORKER else None)
    return {
        "visits": visits,
        "changes": service.list_changes(db_session=db_session, visit_ids=[visit.id for visit in visits]),
        "caseworkers": (service.caseworkers(db_session=db_session) if principal.role == Role.OPERATOR
                        else [user]),
        "announcements": service.current_announcements(db_session=db_session),
        "profile": profile,
        "is_caseworker": principal.role == Role.CASEWORKER,
        "weekdays": _weekday_names(),
        "today": local_today(),
        **extra,
    }


def _weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def _manage(request: Request, db_session, principal, *, status_code: int = 200, **extra):
    return render(request, "rota/manage.html", _manage_context(db_session, principal, **extra),
                  status_code=status_code)


@router.get("/rota/manage", dependencies=[allow(ROTA_EDIT)])
def manage_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    return _manage(request, db_session, principal)


def _edit(request, db_session, principal, action):
    """Run one edit; on a broken rule show the page again with the sentence."""
    try:
        action()
    except service.NotFound as exc:
        raise _fail(exc) from None  # nothing was written; the session ends unsaved
    except service.RotaError as exc:
        refuse(db_session, exc.field, exc, exc.status if exc.status != 422 else 400)
    db_session.commit()
    return RedirectResponse("/rota/manage", status_code=303)


@router.post("/rota/visits", dependencies=[allow(ROTA_EDIT), form_page("/rota/manage")])
def visit_create(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                 weekday: Annotated[int, Form(ge=0, le=6, title=lazy("Day"))],
                 starts_at: Annotated[Time, Form(title=lazy("From"))],
                 ends_at: Annotated[Time, Form(title=lazy("Until"))],
                 caseworker_id: Annotated[OptionalId, Form(title=lazy("Caseworker"))] = None,
                 organisation: Annotated[str, Form(max_length=128)] = "",
                 valid_from: Annotated[OptionalDay, Form(title=lazy("First date"))] = None):
    def action():
        service.create_visit(
            db_session=db_session, actor=principal.user, caseworker_id=caseworker_id or principal.id,
            weekday=weekday, starts_at=starts_at, ends_at=ends_at, organisation=organisation,
            valid_from=valid_from)

    return _edit(request, db_session, principal, action)


@router.post("/rota/visits/{visit_id}/end", dependencies=[allow(ROTA_EDIT), form_page("/rota/manage")])
def visit_end(request: Request, db_session: SessionDep, principal: CurrentPrincipal, visit_id: Annotated[Id, Path()]):
    return _edit(request, db_session, principal,
                 lambda: service.end_visit(db_session=db_session, actor=principal.user, visit_id=visit_id))


@router.post("/rota/visits/{visit_id}/changes", dependencies=[allow(ROTA_EDIT), form_page("/rota/manage")])
def visit_change(request: Request, db_session: SessionDep, principal: CurrentPrincipal, visit_id: Annotated[Id, Path()],
                 kind: Annotated[str, Form(max_length=16)], on_date: Annotated[Day, Form(title=lazy("Date"))],
                 reason: Annotated[str, Form(max_length=200)] = "",
                 new_date: Annotated[OptionalDay, Form(title=lazy("New date (when moved)"))] = None,
                 new_starts_at: Annotated[OptionalTime, Form(title=lazy("From"))] = None,
                 new_ends_at: Annotated[OptionalTime, Form(title=lazy("Until"))] = None):
    def action():
        service.add_change(
            db_session=db_session, actor=principal.user, visit_id=visit_id, kind=kind,
            on_date=on_date, reason=reason, new_date=new_date,
            new_starts_at=new_starts_at, new_ends_at=new_ends_at)

    return _edit(request, db_session, principal, action)


@router.post("/rota/changes/{change_id}/delete", dependencies=[allow(ROTA_EDIT), form_page("/rota/manage")])
def change_delete(request: Request, db_session: SessionDep, principal: CurrentPrincipal, change_id: Annotated[Id, Path()]):
    return _edit(request, db_session, principal,
                 lambda: service.remove_change(db_session=db_session, actor=principal.user, change_id=change_id))


@router.post("/rota/announcements", dependencies=[allow(ROTA_EDIT), form_page("/rota/manage")])
def announcement_create(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                        title: Annotated[str, Form(max_length=500)],
                        body: Annotated[str, Form(max_length=5000)] = "",
                        show_until: Annotated[OptionalDay, Form(title=lazy("Show until (optional)"))] = None):
    def action():
        service.post_announcement(
            db_session=db_session, author=principal.user, title=title, body=body, show_until=show_until)

    return _edit(request, db_session, principal, action)


@router.post("/rota/announcements/{announcement_id}/delete", dependencies=[allow(ROTA_EDIT), form_page("/rota/manage")])
def announcement_delete(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                        announcement_id: Annotated[Id, Path()]):
    return _edit(request, db_session, principal, lambda: service.remove_announcement(
        db_session=db_session, actor=principal.user, announcement_id=announcement_id))


def _caseworker_only(principal) -> None:
    if principal.role != Role.CASEWORKER:
        raise HTTPException(404, _("This page does not exist."))


@router.get("/rota/profile", dependencies=[allow(ROTA_EDIT)])
def profile_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    _caseworker_only(principal)
    profile = service.get_profile(db_session=db_session, user_id=principal.id)
    return render(request, "rota/profile.html", {
        "profile": profile, "choices": service.LANGUAGE_CHOICES,
        "saved": {"display_name": profile.display_name if profile else principal.user.username,
                 "introduction": profile.introduction if profile else "",
                 "languages": profile.language_codes if profile else [],
                 "organisation": profile.organisation if profile else ""},
    })


@router.post("/rota/profile", dependencies=[allow(ROTA_EDIT)])
def profile_save(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                 display_name: Annotated[str, Form(max_length=500)] = "",
                 introduction: Annotated[str, Form(max_length=5000)] = "",
                 languages: Annotated[list[str], Form()] = [],  # noqa: B006
                 organisation: Annotated[str, Form(max_length=500)] = ""):
    _caseworker_only(principal)
    try:
        service.update_profile(db_session=db_session, user=principal.user, display_name=display_name,
                               introduction=introduction, languages=languages, organisation=organisation)
    except service.RotaError as exc:
        refuse(db_session, exc.field, exc, 400 if exc.status == 422 else exc.status)
    db_session.commit()
    return RedirectResponse("/rota/manage", status_code=303)


@router.post("/rota/feed", dependencies=[allow(ROTA_EDIT)])
def feed_issue(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    _caseworker_only(principal)
    token = service.issue_feed_token(db_session=db_session, user=principal.user)
    db_session.commit()
    feed_url = str(request.base_url).rstrip("/") + f"/rota/feed/{token}.ics"
    return _manage(request, db_session, principal, feed_url=feed_url)


@router.post("/rota/feed/revoke", dependencies=[allow(ROTA_EDIT)])
def feed_revoke(db_session: SessionDep, principal: CurrentPrincipal):
    _caseworker_only(principal)
    service.revoke_feed_token(db_session=db_session, user=principal.user)
    db_session.commit()
    return RedirectResponse("/rota/manage", status_code=303)


@router.get("/rota/feed/{token}.ics", dependencies=[allow(PUBLIC)])
def feed(db_session: SessionDep, token: str):
    """The caseworker's calendar: the secret in the URL is the only key; revoking it ends access."""
    owner = service.feed_owner(db_session=db_session, token=token)
    if owner is None:
        raise HTTPException(404, _("This calendar does not exist (any more)."))
    body = service.calendar_feed(db_session=db_session, caseworker=owner, summary=_("Visit"))
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="visits.ics"'})


# --- JSON API ------------------------------------------------------------------------------------


def _occurrence_out(occurrence: service.Occurrence, *, details: bool, own_talk: TalkRequest | None) -> OccurrenceOut:
    return OccurrenceOut(
        visit_id=occurrence.visit_id, date=occurrence.on_date, day=occurrence.day,
        starts_at=occurrence.starts_at, ends_at=occurrence.ends_at,
        local_start=f"{occurrence.local_start:%H:%M}", local_end=f"{occurrence.local_end:%H:%M}",
        status=occurrence.status, reason=occurrence.reason,
        caseworker=CaseworkerOut(
            id=occurrence.caseworker_id, name=occurrence.caseworker_name, organisation=occurrence.organisation,
            introduction=occurrence.introduction if details else None,
            languages=list(occurrence.languages) if details else None),
        my_talk_request_id=own_talk.id if own_talk else None,
    )


@api.get("/rota", response_model=WeekOut, dependencies=[allow(ROTA)],
         responses={422: {"description": "The week is not written as YYYY-Www"}})
def api_rota(db_session: SessionDep, principal: CurrentPrincipal,
             week: Annotated[Week | None, Query(description="ISO week, e.g. 2026-W48")] = None) -> WeekOut:
    """Who visits in a week (this week when none is given); local times in Europe/Amsterdam."""
    monday = _monday(week)
    own = _own_talks_by_key(db_session, principal.user)
    details = principal.role != Role.HOST
    visits = [_occurrence_out(o, details=details, own_talk=own.get((o.visit_id, o.on_date)))
              for o in service.week_of(db_session=db_session, monday=monday)]
    return WeekOut(week=service.week_label(monday), starts_on=monday, ends_on=monday + dt.timedelta(days=6),
                   visits=visits)


def _talk_out(db_session, talk: TalkRequest, viewer: User) -> TalkRequestOut:
    occurrence = service.find_occurrence(db_session=db_session, visit_id=talk.visit_id, on_date=talk.on_date)
    profile = service.get_profile(db_session=db_session, user_id=talk.visit.caseworker_id)
    return TalkRequestOut(
        id=talk.id, visit_id=talk.visit_id, date=talk.on_date,
        day=occurrence.day if occurrence else None, starts_at=occurrence.starts_at if occurrence else None,
        ends_at=talk.visit_ends_at, status=occurrence.status if occurrence else "cancelled",
        topics=talk.topic_codes, note=talk.note,
        caseworker=profile.display_name if profile else talk.visit.caseworker.username,
        worker=talk.worker.username if Role(viewer.role) == Role.CASEWORKER else None,
    )


@api.get("/talk-requests", response_model=list[TalkRequestOut], dependencies=[allow(TALK_REQUESTS)])
def api_talk_requests(db_session: SessionDep, principal: CurrentPrincipal) -> list[TalkRequestOut]:
    """A worker's own talk requests, or those addressed to the calling caseworker."""
    talks = service.talk_requests_for(db_session=db_session, user=principal.user)
    return [_talk_out(db_session, talk, principal.user) for talk in talks]


@api.get("/talk-requests/{talk_id}", response_model=TalkRequestOut, dependencies=[allow(TALK_REQUESTS)],
         responses={404: {"description": "No such talk request for this caller"}})
def api_talk_request(db_session: SessionDep, principal: CurrentPrincipal, talk_id: Annotated[Id, Path()]) -> TalkRequestOut:
    try:
        talk = service.get_talk_request(db_session=db_session, user=principal.user, talk_id=talk_id)
    except service.RotaError as exc:
        raise _fail(exc, api_call=True) from None
    return _talk_out(db_session, talk, principal.user)


@api.post("/talk-requests", response_model=TalkRequestOut, status_code=201, dependencies=[allow(TALK_REQUESTS)],
          responses={403: {"description": "Only workers ask"}, 404: {"description": "No such visit"},
                     409: {"description": "Visit cancelled or past, or already asked"},
                     422: {"description": "Unknown topic or note too long"}})
def api_talk_create(db_session: SessionDep, principal: CurrentPrincipal, body: TalkRequestIn) -> TalkRequestOut:
    """Ask for a private talk at a visit: only you and that caseworker will see it."""
    try:
        talk = service.create_talk_request(db_session=db_session, worker=principal.user, visit_id=body.visit_id,
                                           on_date=body.date, topics=body.topics, note=body.note)
    except service.RotaError as exc:
        db_session.rollback()
        raise _fail(exc, api_call=True) from None
    db_session.commit()
    return _talk_out(db_session, talk, principal.user)


@api.post("/talk-requests/{talk_id}/withdraw", status_code=204, dependencies=[allow(TALK_REQUESTS)],
          responses={404: {"description": "No such talk request of yours"}})
def api_talk_withdraw(db_session: SessionDep, principal: CurrentPrincipal, talk_id: Annotated[Id, Path()]) -> Response:
    """Withdraw your talk request: it is deleted."""
    try:
        service.withdraw_talk_request(db_session=db_session, worker=principal.user, talk_id=talk_id)
    except service.RotaError as exc:
        raise _fail(exc, api_call=True) from None
    db_session.commit()
    return Response(status_code=204)
