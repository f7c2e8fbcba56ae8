"""Contract, house rules and statement pages (worker: own; operator: all), payments, contracts API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from location_ops import nav
from location_ops.access import ADMIN, CONTRACTS
from location_ops.accounts.deps import CurrentPrincipal, allow
from location_ops.accounts.models import Role, User
from location_ops.bookings.schemas import ContractIn, ContractOut
from location_ops.clock import local_today
from location_ops.contracts import service
from location_ops.contracts.models import Contract, ContractStatus, PaymentMethod
from location_ops.db import SessionDep
from location_ops.forms import Cents, Day, Id, MAX_ID, OptionalDay, OptionalMonth, form_page, refuse
from location_ops.i18n import _, lazy
from location_ops.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(tags=["contracts"])

nav.add("/contract", "Contract", CONTRACTS, order=20, group="rentals")
nav.add("/statements", "Statements", CONTRACTS, order=21, group="rentals")


# --- worker: contract and house rules ------------------------------------------------------


@router.get("/contract", dependencies=[allow(CONTRACTS)])
def contract_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal):
    if principal.role != Role.WORKER:
        return RedirectResponse("/admin/contracts", status_code=303)
    rules = service.current_house_rules(db_session=db_session)
    accepted = rules and service.acceptance(db_session=db_session, worker_id=principal.id, version=rules.version)
    return render(request, "contracts/mine.html", {
        "contract": service.current_contract(db_session=db_session, worker_id=principal.id, day=local_today()),
        "rules": rules, "accepted": accepted,
        "deadline_hours": request.app.state.settings.cancellation_deadline_hours})


@router.post("/contract/house-rules", dependencies=[allow(CONTRACTS), form_page("/contract")])
def accept_rules(db_session: SessionDep, principal: CurrentPrincipal,
                 version: Annotated[int, Form(ge=1, le=MAX_ID, title=lazy("House rules version"))]):
    if principal.role != Role.WORKER:
        raise HTTPException(403, _("Only workers accept the house rules."))
    try:
        service.accept_house_rules(db_session=db_session, worker_id=principal.id, version=version)
    except service.ContractError as exc:
        refuse(db_session, "version", exc, 409)
    db_session.commit()
    return RedirectResponse("/contract?accepted=1", status_code=303)


# --- statements ------------------------------------------------------------------------------


def _statement_for(db_session, principal, month: dt.date | None, worker: str | None):
    if principal.role == Role.WORKER:
        worker_user = principal.user
    else:
        if not worker:
            return None, None
        try:
            worker_user = service.get_worker(db_session=db_session, username=worker)
        except service.NotFound as exc:
            raise HTTPException(404, str(exc)) from None
    first = month or local_today().replace(day=1)
    return worker_user, service.statement(db_session=db_session, worker_id=worker_user.id, month=first)


@router.get("/statements", dependencies=[allow(CONTRACTS)])
def statements_page(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                    month: Annotated[OptionalMonth, Query(title=lazy("Month"))] = None,
                    worker: Annotated[str | None, Query(max_length=64)] = None):
    worker_user, result = _statement_for(db_session, principal, month, worker)
    workers = []
    if principal.role != Role.WORKER:
        workers = [u.username for u in db_session.query(User).filter(User.role == Role.WORKER)
                   .order_by(User.username_key)]
    overview = None
    if result is None:
        # No worker chosen: this month for every worker at once, instead of an empty page.
        first = month or local_today().replace(day=1)
        overview = service.month_overview(db_session=db_session, month=first)
    else:
        first = result.month
    prev = (first - dt.timedelta(days=1)).replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return render(request, "contracts/statement.html", {
        "statement": result, "worker": worker_user, "workers": workers, "month": first, "prev": prev, "next": nxt,
        "methods": list(PaymentMethod), "today": local_today(), "overview": overview})


@router.get("/statements.csv", dependencies=[allow(CONTRACTS)])
def statements_csv(db_session: SessionDep, principal: CurrentPrincipal,
                   month: Annotated[OptionalMonth, Query(title=lazy("Month"))] = None,
                   worker: Annotated[str | None, Query(max_length=64)] = None):
    worker_user, result = _statement_for(db_session, principal, month, worker)
    if result is None:
        raise HTTPException(400, _("Choose a worker."))
    filename = f"statement-{result.month.strftime('%Y-%m')}.csv"
    return Response(service.statement_csv(result), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/admin/payments", dependencies=[allow(ADMIN), form_page("/statements?worker={worker}")])
def payment_create(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                   amount: Annotated[Cents, Form(title=lazy("Amount (€)"))],
                   paid_on: Annotated[Day, Form(title=lazy("Paid on"))],
                   worker: Annotated[str, Form(max_length=64, title=lazy("Worker"))] = "",
                   method: Annotated[str, Form(max_length=8, title=lazy("Method"))] = ""):
    try:
        worker_user = service.get_worker(db_session=db_session, username=worker)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    day = paid_on
    try:
        service.record_payment(db_session=db_session, worker=worker_user, amount_cents=amount, method=method,
                               paid_on=day, actor_id=principal.id)
    except service.ContractError as exc:
        refuse(db_session, getattr(exc, "field", None), exc)
    db_session.commit()
    return RedirectResponse(f"/statements?worker={worker_user.username}&month={day.strftime('%Y-%m')}",
                            status_code=303)


# --- operator: contracts and house rules --------------------------------------------------------


def _admin_page(request: Request, db_session, *, error: str | None = None, status_code: int = 200):
    workers = list(db_session.query(User).filter(User.role == Role.WORKER).order_by(User.username_key))
    return render(request, "contracts/admin.html", {
        "contracts": service.list_contracts(db_session=db_session), "workers": workers,
        "rules": service.current_house_rules(db_session=db_session), "statuses": list(ContractStatus),
        "transitions": {status: sorted(targets) for status, targets in service.TRANSITIONS.items()},
        "error": error, "today": local_today()}, status_code=status_code)


@router.get("/admin/contracts", dependencies=[allow(ADMIN)])
def contracts_page(request: Request, db_session: SessionDep):
    return _admin_page(request, db_session)


@router.post("/admin/contracts", dependencies=[allow(ADMIN)])
def contracts_create(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                     starts_on: Annotated[Day, Form(title=lazy("Starts on"))],
                     ends_on: Annotated[OptionalDay, Form(title=lazy("Ends on"))] = None,
                     worker: Annotated[str, Form(max_length=64, title=lazy("Worker"))] = "",
                     late_cancel_percent: Annotated[int, Form(ge=0, le=100, title=lazy("Late cancellation (%)"))] = 50,
                     no_show_percent: Annotated[int, Form(ge=0, le=100, title=lazy("No-show (%)"))] = 100,
                     notice_days: Annotated[int, Form(ge=0, le=365, title=lazy("Notice (days)"))] = 14):
    try:
        worker_user = service.get_worker(db_session=db_session, username=worker)
        service.create_contract(
            db_session=db_session, worker=worker_user, starts_on=starts_on, ends_on=ends_on,
            late_cancel_percent=late_cancel_percent, no_show_percent=no_show_percent, notice_days=notice_days,
            actor_id=principal.id)
    except service.NotFound as exc:
        refuse(db_session, "worker", exc)
    except service.ContractError as exc:
        refuse(db_session, getattr(exc, "field", None), exc)
    db_session.commit()
    return RedirectResponse("/admin/contracts", status_code=303)


@router.post("/admin/contracts/{contract_id}/status", dependencies=[allow(ADMIN), form_page("/admin/contracts")])
def contracts_status(request: Request, db_session: SessionDep, principal: CurrentPrincipal, contract_id: Annotated[Id, Path()],
                     status: Annotated[str, Form(max_length=16)] = ""):
    try:
        contract = service.get_contract(db_session=db_session, contract_id=contract_id)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    try:
        service.change_status(db_session=db_session, contract=contract, status=ContractStatus(status),
                              actor_id=principal.id)
    except (ValueError, service.ContractError) as exc:
        message = str(exc) if isinstance(exc, service.ContractError) else _("Unknown contract status.")
        refuse(db_session, "status", message)
    db_session.commit()
    return RedirectResponse("/admin/contracts", status_code=303)


@router.post("/admin/house-rules", dependencies=[allow(ADMIN), form_page("/admin/contracts")])
def house_rules_publish(request: Request, db_session: SessionDep, principal: CurrentPrincipal,
                        text: Annotated[str, Form(max_length=20000)] = ""):
    try:
        service.publish_house_rules(db_session=db_session, text=text, actor_id=principal.id)
    except service.ContractError as exc:
        refuse(db_session, "text", exc)
    db_session.commit()
    return RedirectResponse("/admin/contracts", status_code=303)


# --- JSON API ---------------------------------------------------------------------------------


@api.get("/contracts", response_model=list[ContractOut], dependencies=[allow(CONTRACTS)])
def api_contracts(db_session: SessionDep, principal: CurrentPrincipal) -> list[Contract]:
    """All contracts (operator) or your own (worker)."""
    if principal.role == Role.WORKER:
        return service.contracts_of(db_session=db_session, worker_id=principal.id)
    return [contract for contract, _name in service.list_contracts(db_session=db_session)]


@api.post("/contracts", response_model=ContractOut, status_code=201, dependencies=[allow(ADMIN)],
          responses={400: {"description": "Bad dates or a rule broken"}, 404: {"description": "No such worker"}})
def api_create_contract(db_session: SessionDep, principal: CurrentPrincipal, body: ContractIn) -> Contract:
    """Make a contract with a worker: {"username", "starts_on"} (active unless status is "draft")."""
    try:
        worker = service.get_worker(db_session=db_session, username=body.username)
    except service.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    try:
        contract = service.create_contract(
            db_session=db_session, worker=worker, starts_on=body.starts_on, ends_on=body.ends_on,
            status=ContractStatus(body.status),
            late_cancel_percent=body.late_cancel_percent, no_show_percent=body.no_show_percent,
            notice_days=body.notice_days, actor_id=principal.id)
    except service.ContractError as exc:
        raise HTTPException(400, str(exc)) from None
    db_session.commit()
    return contract
