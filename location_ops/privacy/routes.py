"""The audit log page for operators."""

from __future__ import annotations

from fastapi import APIRouter, Request

from location_ops import nav
from location_ops.access import AUDIT
from location_ops.accounts.deps import allow
from location_ops.db import SessionDep
from location_ops.privacy import service
from location_ops.web import render

router = APIRouter(include_in_schema=False)
nav.add("/admin/audit", "Audit log", AUDIT, order=90, group="admin")


@router.get("/admin/audit", dependencies=[allow(AUDIT)])
def audit_page(request: Request, db_session: SessionDep):
    return render(request, "privacy/audit.html", {"events": service.recent(db_session=db_session)})
