"""Wegwijzer pages and JSON: searchable help services and where to refer a client."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse

from location_ops import i18n, nav
from location_ops.access import GUIDE, GUIDE_EDIT
from location_ops.accounts.deps import CurrentPrincipal, allow
from location_ops.accounts.models import Role
from location_ops.db import SessionDep
from location_ops.forms import Checkbox, Id, Line, form_page, refuse
from location_ops.guide import service
from location_ops.guide.models import HelpService
from location_ops.guide.schemas import GuideOut, HelpServiceOut, ReferralOut
from location_ops.i18n import _, lazy
from location_ops.web import is_htmx, render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["guide"])

nav.add("/guide", lazy("Help guide"), GUIDE, order=45, group="support")

EDITORS = {Role.OPERATOR, Role.CASEWORKER}


def _referrals(db_session) -> list[dict]:
    keys = {key for referral in service.REFERRALS for key in referral.service_keys}
    found = service.by_keys(db_session=db_session, keys=keys)
    return [{"referral": referral, "services": [found[key] for key in referral.service_keys if key in found]}
            for referral in service.REFERRALS]


@router.get("/guide", dependencies=[allow(GUIDE)])
def guide_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
               q: Annotated[str, Query(max_length=200)] = "", category: Annotated[str, Query(max_length=40)] = "",
               language: Annotated[str, Query(max_length=8)] = "",
               anonymous: Annotated[Checkbox, Query(title=lazy("Anonymous contact possible"))] = False):
    try:
        found = service.search(db_session=db_session, text=q, category=category, language=language,
                               anonymous=True if anonymous else None)
    except service.GuideError as exc:
        raise HTTPException(400, str(exc)) from None
    context = {
        "services": found, "q": q, "category": category, "language": language, "anonymous": anonymous,
        "categories": service.CATEGORIES, "languages_choice": service.LANGUAGE_CHOICES,
        "can_edit": principal.role in EDITORS, "lang": i18n.current_language(),
        "referrals": _referrals(db_session),
    }
    if is_htmx(request):
        return render(request, "guide/_results.html", context)
    return render(request, "guide/page.html", context)


def _form_context(entry: HelpService | None, **extra) -> dict:
    return {"entry": entry, "categories": service.CATEGORIES, "languages_choice": service.LANGUAGE_CHOICES, **extra}


@router.get("/guide/new", dependencies=[allow(GUIDE_EDIT)])
def guide_new(request: Request):
    return render(request, "guide/edit.html", _form_context(None))


@router.get("/guide/{service_id}/edit", dependencies=[allow(GUIDE_EDIT)])
def guide_edit(request: Request, db_session: SessionDep, service_id: Annotated[Id, Path()]):
    try:
        entry = service.get(db_session=db_session, service_id=service_id)
    except service.GuideError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return render(request, "guide/edit.html", _form_context(entry))


def _save(request, db_session, principal, service_id: int | None, form: dict):
    try:
        entry = service.get(db_session=db_session, service_id=service_id) if service_id is not None else None
        service.save(db_session=db_session, actor_id=principal.id, service=entry, **form)
    except service.GuideError as exc:
        if exc.status == 404:
            raise HTTPException(404, str(exc)) from None
        refuse(db_session, getattr(exc, "field", None), exc, exc.status)
    db_session.commit()
    return RedirectResponse("/guide?saved=1", status_code=303)


def _form(name, categories, languages, anonymous, description_nl, description_en, phone, email, website, address,
          hours) -> dict:
    return {"name": name, "categories": categories, "languages": languages,
            "anonymous": {"yes": True, "no": False}.get(anonymous),
            "description_nl": description_nl, "description_en": description_en, "phone": phone, "email": email,
            "website": website, "address": address, "hours": hours}


FormText = Annotated[str, Form(max_length=5000)]
FormList = Annotated[list[str], Form()]


@router.post("/guide", dependencies=[allow(GUIDE_EDIT), form_page("/guide/new")])
def guide_create(request: Request, db_session: SessionDep, principal: CurrentPrincipal, name: FormText = "",
                 categories: FormList = [], languages: FormList = [], anonymous: FormText = "",  # noqa: B006
                 description_nl: FormText = "", description_en: FormText = "", phone: FormText = "",
                 email: FormText = "", website: FormText = "", address: FormText = "", hours: FormText = ""):
    return _save(request, db_session, principal, None, _form(name, categories, languages, anonymous, description_nl,
                                                             description_en, phone, email, website, address, hours))


@router.post("/guide/{service_id}", dependencies=[allow(GUIDE_EDIT), form_page("/guide/{service_id}/edit")])
def guide_update(request: Request, db_session: SessionDep, principal: CurrentPrincipal, service_id: Annotated[Id, Path()],
                 name: FormText = "", categories: FormList = [], languages: FormList = [],  # noqa: B006
                 anonymous: FormText = "", description_nl: FormText = "", description_en: FormText = "",
                 phone: FormText = "", email: FormText = "", website: FormText = "", address: FormText = "",
                 hours: FormText = ""):
    return _save(request, db_session, principal, service_id,
                 _form(name, categories, languages, anonymous, description_nl, description_en, phone, email,
                       website, address, hours))


@router.post("/guide/{service_id}/delete", dependencies=[allow(GUIDE_EDIT)])
def guide_delete(db_session: SessionDep, principal: CurrentPrincipal, service_id: Annotated[Id, Path()]):
    try:
        service.remove(db_session=db_session, actor_id=principal.id, service_id=service_id)
    except service.GuideError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    db_session.commit()
    return RedirectResponse("/guide", status_code=303)


#: A category of help services (GET /guide?category=).
Category = Literal[tuple(service.CATEGORIES)]


@api.get("/guide", response_model=GuideOut, dependencies=[allow(GUIDE)],
         responses={422: {"description": "Unknown category"}})
def api_guide(db_session: SessionDep, q: Annotated[Line, Query(max_length=200)] = "",
              category: Annotated[Category | None, Query()] = None, language: Annotated[Line, Query(max_length=8)] = "",
              anonymous: Annotated[bool | None, Query()] = None) -> GuideOut:
    """The wegwijzer: help services (search text, category, language, anonymous contact) and referral advice."""
    try:
        found = service.search(db_session=db_session, text=q, category=category or "", language=language,
                               anonymous=anonymous or None)
    except service.GuideError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    language_now = i18n.current_language()
    services = [HelpServiceOut(
        id=entry.id, name=entry.name, categories=entry.category_codes, languages=entry.language_codes,
        anonymous=entry.anonymous, description=entry.description(language_now), description_nl=entry.description_nl,
        description_en=entry.description_en, phone=entry.phone, email=entry.email, website=entry.website,
        address=entry.address, hours=entry.hours) for entry in found]
    referrals = [ReferralOut(problem=item["referral"].problem, title=_(item["referral"].title),
                             advice=_(item["referral"].advice), service_ids=[s.id for s in item["services"]])
                 for item in _referrals(db_session)]
    return GuideOut(services=services, referrals=referrals)
