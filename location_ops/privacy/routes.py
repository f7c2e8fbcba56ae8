"""The audit log page for operators (filtered and paged), and the data pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from location_ops import nav
from location_ops.access import AUDIT
from location_ops.accounts.deps import allow
from location_ops.db import SessionDep
from location_ops.forms import OptionalDay, OptionalId
from location_ops.i18n import lazy
from location_ops.privacy import data_routes, service
from location_ops.web import render

router = APIRouter(include_in_schema=False)
router.include_router(data_routes.router)
nav.add("/admin/audit", "Audit log", AUDIT, order=90)


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
    })
