"""Contracts, house rules, payments and monthly statements: the rules."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from location_ops.accounts.models import Role, User
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import CONTRACT_YEARS_AHEAD, REPORT_YEARS_AHEAD, check_day, utcnow
from location_ops.contracts.models import (
    TRANSITIONS, Contract, ContractStatus, HouseRules, HouseRulesAcceptance, Payment, PaymentMethod,
)
from location_ops.i18n import _
from location_ops.privacy.service import audit


class ContractError(ValueError):
    """A contract rule was broken; the message is a sentence for people."""


class NotFound(LookupError):
    """No such contract or worker (or not one the caller may see)."""


# --- contracts ----------------------------------------------------------------------


def get_worker(*, db_session: Session, username: str) -> User:
    user = db_session.scalar(select(User).where(User.username_key == username.strip().lower()))
    if user is None or user.role != Role.WORKER:
        raise NotFound(_("There is no worker called '%(name)s'.") % {"name": username[:64]})
    return user


def create_contract(
    *, db_session: Session, worker: User, starts_on: dt.date, ends_on: dt.date | None = None,
    status: ContractStatus = ContractStatus.DRAFT, late_cancel_percent: int = 50, no_show_percent: int = 100,
    notice_days: int = 14, actor_id: int | None = None,
) -> Contract:
    """Make a contract with a worker; an active one must not overlap another live contract."""
    if worker.role != Role.WORKER:
        raise ContractError(_("Contracts are made with workers only."))
    check_day(starts_on, what=_("A contract's start"), years_ahead=CONTRACT_YEARS_AHEAD, error=ContractError)
    if ends_on is not None:
        check_day(ends_on, what=_("A contract's end"), years_ahead=CONTRACT_YEARS_AHEAD, error=ContractError)
    if ends_on is not None and ends_on < starts_on:
        raise ContractError(_("A contract cannot end before it starts."))
    for value in (late_cancel_percent, no_show_percent):
        if not 0 <= value <= 100:
            raise ContractError(_("A charge is a percentage from 0 to 100."))
    if notice_days < 0 or notice_days > 365:
        raise ContractError(_("The notice period is from 0 to 365 days."))
    if status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        raise ContractError(_("A new contract is a draft or active."))
    contract = Contract(worker_id=worker.id, status=ContractStatus.DRAFT, starts_on=starts_on, ends_on=ends_on,
                        late_cancel_percent=late_cancel_percent, no_show_percent=no_show_percent,
                        notice_days=notice_days, created_at=utcnow())
    db_session.add(contract)
    db_session.flush()
    if status == ContractStatus.ACTIVE:
        change_status(db_session=db_session, contract=contract, status=ContractStatus.ACTIVE, actor_id=actor_id)
    audit(db_session=db_session, action="contract.create", actor_id=actor_id, target_type="contract",
          target_id=contract.id)
    return contract


def change_status(*, db_session: Session, contract: Contract, status: ContractStatus,
                  actor_id: int | None = None) -> None:
    """Move a contract along draft → active → suspended / ended."""
    current = ContractStatus(contract.status)
    if status not in TRANSITIONS[current]:
        raise ContractError(_("A %(from)s contract cannot become %(to)s.")
                            % {"from": _(current.label), "to": _(status.label)})
    if status == ContractStatus.ACTIVE:
        others = db_session.scalars(select(Contract).where(
            Contract.worker_id == contract.worker_id, Contract.id != contract.id,
            Contract.status.in_([ContractStatus.ACTIVE, ContractStatus.SUSPENDED]))).all()
        for other in others:
            if _overlaps(other, contract):
                raise ContractError(_("This worker already has a contract for part of that period."))
    contract.status = status
    if status == ContractStatus.ENDED and (contract.ends_on is None or contract.ends_on > _today()):
        contract.ends_on = max(contract.starts_on, _today())
    audit(db_session=db_session, action=f"contract.{status.value}", actor_id=actor_id, target_type="contract",
          target_id=contract.id)


def _today() -> dt.date:
    from location_ops.clock import local_today

    return local_today()


def _overlaps(a: Contract, b: Contract) -> bool:
    far = dt.date.max
    return a.starts_on <= (b.ends_on or far) and b.starts_on <= (a.ends_on or far)


def list_contracts(*, db_session: Session) -> list[tuple[Contract, str]]:
    """Every contract with its worker's pseudonym (operator view)."""
    rows = db_session.execute(select(Contract, User.username).join(User, User.id == Contract.worker_id)
                              .order_by(User.username_key, Contract.starts_on.desc()))
    return [(contract, username) for contract, username in rows]


def contracts_of(*, db_session: Session, worker_id: int) -> list[Contract]:
    return list(db_session.scalars(select(Contract).where(Contract.worker_id == worker_id)
                                   .order_by(Contract.starts_on.desc())))


def get_contract(*, db_session: Session, contract_id: int) -> Contract:
    contract = db_session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(_("That contract does not exist."))
    return contract


def active_contract_on(*, db_session: Session, worker_id: int, day: dt.date) -> Contract | None:
    """Return the worker's active contract covering a local date, if any."""
    return db_session.scalar(select(Contract).where(
        Contract.worker_id == worker_id, Contract.status == ContractStatus.ACTIVE, Contract.starts_on <= day,
        or_(Contract.ends_on.is_(None), Contract.ends_on >= day)).order_by(Contract.starts_on.desc()).limit(1))


def no_show_percents(*, db_session: Session, pairs: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], int]:
    """Return {(worker_id, day): no-show charge %} under the active contract of that day, where there is one."""
    workers = {worker_id for worker_id, _day in pairs}
    contracts = db_session.scalars(select(Contract).where(Contract.worker_id.in_(workers),
                                                          Contract.status == ContractStatus.ACTIVE)).all()
    found = {}
    for worker_id, day in pairs:
        for contract in contracts:
            if contract.worker_id == worker_id and contract.starts_on <= day and (
                    contract.ends_on is None or contract.ends_on >= day):
                found[(worker_id, day)] = contract.no_show_percent
                break
    return found


def current_contract(*, db_session: Session, worker_id: int, day: dt.date) -> Contract | None:
    """The contract to show a worker: active today, else the newest."""
    return active_contract_on(db_session=db_session, worker_id=worker_id, day=day) or db_session.scalar(
        select(Contract).where(Contract.worker_id == worker_id).order_by(Contract.starts_on.desc()).limit(1))


# --- house rules ----------------------------------------------------------------------


def current_house_rules(*, db_session: Session) -> HouseRules | None:
    return db_session.scalar(select(HouseRules).order_by(HouseRules.version.desc()).limit(1))


def publish_house_rules(*, db_session: Session, text: str, actor_id: int | None = None) -> HouseRules:
    """Publish a new version; workers accept it before their next booking."""
    text = text.strip()
    if not text:
        raise ContractError(_("The house rules cannot be empty."))
    version = (db_session.scalar(select(func.max(HouseRules.version))) or 0) + 1
    rules = HouseRules(version=version, text=text[:20000], published_at=utcnow())
    db_session.add(rules)
    db_session.flush()
    audit(db_session=db_session, action="house_rules.publish", actor_id=actor_id, target_type="house_rules",
          target_id=rules.id)
    return rules


def acceptance(*, db_session: Session, worker_id: int, version: int) -> HouseRulesAcceptance | None:
    return db_session.scalar(select(HouseRulesAcceptance).where(HouseRulesAcceptance.worker_id == worker_id,
                                                                HouseRulesAcceptance.version == version))


def house_rules_pending(*, db_session: Session, worker_id: int) -> HouseRules | None:
    """Return the current house rules if the worker has not accepted them yet."""
    rules = current_house_rules(db_session=db_session)
    if rules is None or acceptance(db_session=db_session, worker_id=worker_id, version=rules.version):
        return None
    return rules


def accept_house_rules(*, db_session: Session, worker_id: int, version: int) -> HouseRulesAcceptance:
    """Record that a worker accepted this version now (keeps the version and the time)."""
    rules = current_house_rules(db_session=db_session)
    if rules is None or rules.version != version:
        raise ContractError(_("These house rules have changed; read the current version and accept that."))
    existing = acceptance(db_session=db_session, worker_id=worker_id, version=version)
    if existing is not None:
        return existing
    accepted = HouseRulesAcceptance(worker_id=worker_id, version=version, accepted_at=utcnow())
    db_session.add(accepted)
    db_session.flush()
    return accepted


# --- payments and statements --------------------------------------------------------------


def record_payment(*, db_session: Session, worker: User, amount_cents: int, method: str, paid_on: dt.date,
                   actor_id: int) -> Payment:
    """Record rent paid (cash or bank) and who recorded it."""
    if worker.role != Role.WORKER:
        raise ContractError(_("Payments are recorded for workers only."))
    if amount_cents <= 0:
        raise ContractError(_("An amount must be more than zero."))
    check_day(paid_on, what=_("The payment date"), years_ahead=REPORT_YEARS_AHEAD, error=ContractError)
    try:
        kind = PaymentMethod(method)
    except ValueError:
        raise ContractError(_("A payment is cash or bank.")) from None
    payment = Payment(worker_id=worker.id, amount_cents=amount_cents, method=kind, paid_on=paid_on,
                      recorded_by_id=actor_id, recorded_at=utcnow())
    db_session.add(payment)
    db_session.flush()
    audit(db_session=db_session, action="payment.record", actor_id=actor_id, target_type="payment",
          target_id=payment.id)
    return payment


@dataclass
class StatementLine:
    day: dt.date
    kind: str  # "shift", "late_cancellation", "no_show", "payment"
    description: str
    charge_cents: int = 0
    paid_cents: int = 0


@dataclass
class Statement:
    worker_id: int
    month: dt.date  # first day
    opening_cents: int
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def charges_cents(self) -> int:
        return sum(line.charge_cents for line in self.lines)

    @property
    def paid_cents(self) -> int:
        return sum(line.paid_cents for line in self.lines)

    @property
    def balance_cents(self) -> int:
        """What the worker owes at the end of the month (negative: paid in advance)."""
        return self.opening_cents + self.charges_cents - self.paid_cents


def month_overview(*, db_session: Session, month: dt.date) -> list[tuple[str, Statement]]:
    """Every worker's statement of a month who had something in it or still owes (operator's default view)."""
    from location_ops.accounts.models import Role, User

    found = []
    for worker_id, username in db_session.execute(
            select(User.id, User.username).where(User.role == Role.WORKER).order_by(User.username_key)):
        result = statement(db_session=db_session, worker_id=worker_id, month=month)
        if result.lines or result.opening_cents:
            found.append((username, result))
    return found



def _charge(booking: Booking) -> int:
    return booking.price_cents if booking.status == BookingStatus.BOOKED else booking.charge_cents


def _booking_charges_before(db_session: Session, worker_id: int, day: dt.date) -> int:
    rows = db_session.execute(select(Booking.status, Booking.price_cents, Booking.charge_cents).where(
        Booking.worker_id == worker_id, Booking.day < day))
    return sum(price if status == BookingStatus.BOOKED else charge for status, price, charge in rows)


def statement(*, db_session: Session, worker_id: int, month: dt.date) -> Statement:
    """Shifts, late cancellations, no-shows and payments of one month, and the balance."""
    first = check_day(month.replace(day=1), what=_("The month"), years_ahead=REPORT_YEARS_AHEAD)
    after = first.replace(day=calendar.monthrange(first.year, first.month)[1]) + dt.timedelta(days=1)
    paid_before = db_session.scalar(select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
        Payment.worker_id == worker_id, Payment.paid_on < first)) or 0
    opening = _booking_charges_before(db_session, worker_id, first) - paid_before
    result = Statement(worker_id=worker_id, month=first, opening_cents=opening)
    from location_ops.rooms.models import Room
    from location_ops.formatting import fmt_time

    rows = db_session.execute(select(Booking, Room.number).join(Room, Room.id == Booking.room_id).where(
        Booking.worker_id == worker_id, Booking.day >= first, Booking.day < after).order_by(Booking.starts_at))
    for booking, number in rows:
        where = _("Room %(n)d, %(start)s–%(end)s") % {"n": number, "start": fmt_time(booking.starts_at),
                                                     "end": fmt_time(booking.ends_at)}
        if booking.status == BookingStatus.BOOKED:
            result.lines.append(StatementLine(booking.day, "shift", where, charge_cents=booking.price_cents))
        elif booking.status == BookingStatus.NO_SHOW:
            result.lines.append(StatementLine(booking.day, "no_show", _("No-show: %(where)s") % {"where": where},
                                              charge_cents=booking.charge_cents))
        elif booking.charge_cents:
            result.lines.append(StatementLine(booking.day, "late_cancellation",
                                              _("Late cancellation: %(where)s") % {"where": where},
                                              charge_cents=booking.charge_cents))
    payments = db_session.scalars(select(Payment).where(
        Payment.worker_id == worker_id, Payment.paid_on >= first, Payment.paid_on < after).order_by(Payment.paid_on))
    for payment in payments:
        result.lines.append(StatementLine(payment.paid_on, "payment",
                                          _("Payment (%(method)s)") % {"method": _(PaymentMethod(payment.method).label)},
                                          paid_cents=payment.amount_cents))
    result.lines.sort(key=lambda line: (line.day, line.kind == "payment"))
    return result


def statement_csv(result: Statement) -> str:
    """The statement as CSV: amounts in cents and in euros (dot decimal) for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "kind", "description", "charge_cents", "paid_cents", "charge_eur", "paid_eur"])
    writer.writerow([result.month.isoformat(), "opening_balance", "", result.opening_cents, 0,
                     f"{result.opening_cents / 100:.2f}", "0.00"])
    for line in result.lines:
        writer.writerow([line.day.isoformat(), line.kind, line.description, line.charge_cents, line.paid_cents,
                         f"{line.charge_cents / 100:.2f}", f"{line.paid_cents / 100:.2f}"])
    writer.writerow(["", "closing_balance", "", result.balance_cents, 0, f"{result.balance_cents / 100:.2f}", "0.00"])
    return buffer.getvalue()
