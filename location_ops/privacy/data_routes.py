"""The data page (register of processing) for operators and the privacy notice for everyone."""

from __future__ import annotations

from fastapi import APIRouter, Request

from location_ops import nav
from location_ops.access import AUDIT, SIGNED_IN
from location_ops.accounts.deps import allow
from location_ops.clock import utcnow
from location_ops.db import SessionDep
from location_ops.privacy import register
from location_ops.web import render

router = APIRouter(include_in_schema=False)
nav.add("/admin/data", "Data and retention", AUDIT, order=91)


@router.get("/admin/data", dependencies=[allow(AUDIT)])
def data_page(request: Request, db_session: SessionDep):
    lines = register.data_register(db_session=db_session, settings=request.app.state.settings)
    return render(request, "privacy/data.html", {"lines": lines, "as_of": utcnow()})


@router.get("/privacy", dependencies=[allow(SIGNED_IN)])
def privacy_notice_page(request: Request):
    lines = register.privacy_notice(settings=request.app.state.settings)
    return render(request, "privacy/notice.html", {"lines": lines})
