"""Her own export and erasure: the worker's side on her account, the operator's confirmation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from location_ops import nav
from location_ops.access import ADMIN, ERASURE_REQUEST, OWN_DATA
from location_ops.accounts.deps import CurrentPrincipal, allow
from location_ops.db import SessionDep
from location_ops.forms import Id, refuse
from location_ops.privacy import erasure, export
from location_ops.web import render

router = APIRouter(include_in_schema=False)
nav.add("/admin/erasure", "Erasure", ADMIN, order=92, group="admin")


@router.get("/account/export", dependencies=[allow(OWN_DATA)])
def own_export(db_session: SessionDep, principal: CurrentPrincipal):
    result = export.build_export(db_session=db_session, user=principal.user)
    db_session.commit()
    return Response(result.content, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{result.filename}"', "Cache-Control": "no-store"})


@router.get("/account/erasure", dependencies=[allow(ERASURE_REQUEST)])
def erasure_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    return render(request, "privacy/erasure_request.html",
                  {"erasure": erasure.request_of(db_session=db_session, worker_id=principal.id)})


@router.post("/account/erasure", dependencies=[allow(ERASURE_REQUEST)])
def erasure_ask(db_session: SessionDep, principal: CurrentPrincipal):
    try:
        erasure.request_erasure(db_session=db_session, worker=principal.user, actor_id=principal.id)
    except erasure.ErasureError as exc:
        raise HTTPException(409, str(exc)) from None
    db_session.commit()
    return RedirectResponse("/account/erasure", status_code=303)


@router.post("/account/erasure/withdraw", dependencies=[allow(ERASURE_REQUEST)])
def erasure_withdraw(db_session: SessionDep, principal: CurrentPrincipal):
    erasure.withdraw(db_session=db_session, worker_id=principal.id, actor_id=principal.id)
    db_session.commit()
    return RedirectResponse("/account/erasure", status_code=303)


def _admin_context(db_session) -> dict:
    return {"pending": erasure.pending(db_session=db_session),
            "workers": erasure.erasable_workers(db_session=db_session)}


@router.get("/admin/erasure", dependencies=[allow(ADMIN)])
def erasure_admin(request: Request, db_session: SessionDep):
    return render(request, "privacy/erasure_admin.html", _admin_context(db_session))


@router.post("/admin/erasure", dependencies=[allow(ADMIN)])
def erasure_confirm(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                    worker_id: Annotated[Id, Form()]):
    try:
        erasure.erase(db_session=db_session, worker_id=worker_id, actor_id=principal.id,
                      language=request.app.state.settings.default_language)
    except erasure.ErasureError as exc:
        refuse(db_session, "worker_id", exc)
    db_session.commit()
    return RedirectResponse("/admin/erasure?done=1", status_code=303)
