"""Operators' audit log (filtered, paged) and data page (register of processing); everyone's privacy notice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from location_ops import nav
from location_ops.access import AUDIT, SIGNED_IN
from location_ops.accounts.deps import allow
from location_ops.clock import utcnow
from location_ops.db import SessionDep
from location_ops.forms import OptionalDay, OptionalId
from location_ops.i18n import lazy
from location_ops.privacy import register, service
from location_ops.web import render

router = APIRouter(include_in_schema=False)
nav.add("/admin/audit", "Audit log", AUDIT, order=90, group="admin")
nav.add("/admin/data", "Data and retention", AUDIT, order=91, group="admin")


@router.get("/admin/audit", dependencies=[allow(AUDIT)])
def audit_page(request: Request, db_session: SessionDep,
               action: Annotated[str, Query(max_length=48, title=lazy("Action"))] = "",
               person: Annotated[OptionalId, Query(title=lazy("Person"))] = None,
               day: Annotated[OptionalDay, Query(title=lazy("Day"))] = None,
               page: Annotated[int, Query(ge=1, le=1_000_000, title=lazy("Page"))] = 1):
    found = service.search(db_session=db_session, action=action, person_id=person, day=day, page=page)
    return render(request, "privacy/audit.html", {
        "found": found, "actions": service.actions(db_session=db_session),
        "people": service.people(db_session=db_session),
        "filters": {"action": action, "person": person, "day": day},
        "action_label": service.action_label, "target_label": service.target_label,
    })


@router.get("/admin/data", dependencies=[allow(AUDIT)])
def data_page(request: Request, db_session: SessionDep):
    lines = register.data_register(db_session=db_session, settings=request.app.state.settings)
    return render(request, "privacy/data.html", {"lines": lines, "as_of": utcnow()})


@router.get("/privacy", dependencies=[allow(SIGNED_IN)])
def privacy_notice_page(request: Request):
    lines = register.privacy_notice(settings=request.app.state.settings)
    return render(request, "privacy/notice.html", {"lines": lines})


# Her own export and erasure live in their own module; served under this capability's router.
from location_ops.privacy import subject_routes  # noqa: E402

# Their routes join this router as they are (include_router would nest them, hidden from the route walk).
router.routes.extend(subject_routes.router.routes)
