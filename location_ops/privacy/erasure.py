"""Erasure (GDPR Art. 17): a worker asks, an operator confirms (or starts it for someone who left).

Her login and pseudonym go: the account row becomes an anonymous key ("former worker",
no password, no way in) under which bookings, statements and payments stay as amounts
for as long as bookkeeping requires. What is about her goes or forgets her, table by
table, as ``subject.py`` declares. The audit keeps ids only.
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from location_ops.accounts import service as accounts_service
from location_ops.accounts.models import LoginAttempt, Role, User
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import utcnow
from location_ops import i18n
from location_ops.i18n import _, lazy
from location_ops.privacy.models import ErasureRequest
from location_ops.privacy.service import audit
from location_ops.privacy.subject import CHILD_ROWS, SUBJECT_COLUMNS, Erase, subject_parent_ids, table

log = logging.getLogger(__name__)

#: The account's name once erased, wherever her pseudonym was shown.
FORMER_WORKER = lazy("former worker")


class ErasureError(Exception):
    """An erasure that cannot be asked for or done; the message is a sentence for the person."""


def is_erased(*, db_session: Session, worker_id: int) -> bool:
    request = request_of(db_session=db_session, worker_id=worker_id)
    return request is not None and request.erased_at is not None


def request_of(*, db_session: Session, worker_id: int) -> ErasureRequest | None:
    """Her erasure request (pending or done), if any."""
    return db_session.scalar(select(ErasureRequest).where(ErasureRequest.worker_id == worker_id))


def request_erasure(*, db_session: Session, worker: User, actor_id: int) -> ErasureRequest:
    """Record that ``worker``'s data is to be erased; an operator confirms it. Asking twice is one request."""
    if worker.role != Role.WORKER:
        raise ErasureError(_("Only a worker's data can be erased here."))
    existing = request_of(db_session=db_session, worker_id=worker.id)
    if existing is not None:
        if existing.erased_at is not None:
            raise ErasureError(_("This account is already erased."))
        return existing
    request = ErasureRequest(worker_id=worker.id, requested_at=utcnow(), requested_by_id=actor_id)
    db_session.add(request)
    db_session.flush()
    audit(db_session=db_session, action="privacy.erasure_requested", actor_id=actor_id, target_type="user",
          target_id=worker.id)
    return request


def withdraw(*, db_session: Session, worker_id: int, actor_id: int) -> None:
    """Withdraw a pending request (she changed her mind); a done erasure cannot be undone."""
    request = request_of(db_session=db_session, worker_id=worker_id)
    if request is None or request.erased_at is not None:
        return
    db_session.delete(request)
    audit(db_session=db_session, action="privacy.erasure_withdrawn", actor_id=actor_id, target_type="user",
          target_id=worker_id)


def pending(*, db_session: Session) -> list[tuple[ErasureRequest, str]]:
    """Requests waiting for an operator, oldest first, with the pseudonym they are about."""
    return list(db_session.execute(
        select(ErasureRequest, User.username).join(User, User.id == ErasureRequest.worker_id)
        .where(ErasureRequest.erased_at.is_(None)).order_by(ErasureRequest.requested_at)).all())


def erasable_workers(*, db_session: Session) -> list[User]:
    """Workers an operator may start an erasure for (not erased yet), by pseudonym."""
    erased = select(ErasureRequest.worker_id).where(ErasureRequest.erased_at.is_not(None))
    return list(db_session.scalars(select(User).where(User.role == Role.WORKER, User.id.not_in(erased))
                                   .order_by(User.username_key)))


def _empty(source, name: str):
    return None if source.c[name].nullable else ""


def erase(*, db_session: Session, worker_id: int, actor_id: int, language: str = "nl") -> None:
    """Erase a worker now, in the caller's transaction (an operator's confirmation).

    ``language`` is the site's: the account's new name ("former worker") is stored in it.
    """
    worker = db_session.get(User, worker_id)
    if worker is None or worker.role != Role.WORKER:
        raise ErasureError(_("Only a worker's data can be erased here."))
    if is_erased(db_session=db_session, worker_id=worker_id):
        raise ErasureError(_("This account is already erased."))
    now = utcnow()
    # Her sessions end first, and with them her open event streams.
    accounts_service.end_all_sessions(db_session=db_session, user_id=worker_id)
    # Her bookings ahead are released, free of charge: the rooms go back to the others, and no
    # no-show charge can pile up under the anonymous key. What already happened stays as it was.
    db_session.execute(update(Booking).where(
        Booking.worker_id == worker_id, Booking.status == BookingStatus.BOOKED, Booking.starts_at > now,
    ).values(status=BookingStatus.CANCELLED, cancelled_at=now, charge_cents=0))
    # Rows about her through a parent (an alarm's steps): their notes go while the parent still points at her.
    for child in CHILD_ROWS:
        source = table(child.table)
        if child.clear:
            db_session.execute(update(source)
                               .where(source.c[child.column].in_(subject_parent_ids(child.parent, worker_id)))
                               .values({name: _empty(source, name) for name in child.clear}))
    for item in SUBJECT_COLUMNS:
        source = table(item.table)
        mine = source.c[item.column] == worker_id
        if item.erase == Erase.DELETE:
            db_session.execute(delete(source).where(mine))
            continue
        values = {name: _empty(source, name) for name in item.clear}
        if item.erase == Erase.FORGET:
            values[item.column] = None
        if values:
            db_session.execute(update(source).where(mine).values(values))
    db_session.execute(delete(LoginAttempt).where(
        LoginAttempt.username_key == accounts_service.attempt_key(worker.username)))
    # The account becomes the anonymous key: no pseudonym, no password, no second factor, no way in.
    # Its name shows wherever her pseudonym was shown (the reception log, the statements, where the
    # operator still finds her books by it): stored once, in the site's language, with a random
    # suffix that says nothing about her.
    anonymous = f"{i18n.translations(language).gettext(FORMER_WORKER)} {secrets.token_hex(4)}"
    worker.username = anonymous
    worker.username_key = accounts_service.username_key(anonymous)
    worker.password_hash = "!"
    worker.mfa_secret, worker.mfa_enabled, worker.mfa_last_step = None, False, None
    worker.language = None
    worker.active = False
    request = request_of(db_session=db_session, worker_id=worker_id)
    if request is None:
        request = ErasureRequest(worker_id=worker_id, requested_at=now, requested_by_id=actor_id)
        db_session.add(request)
    request.erased_at = now
    audit(db_session=db_session, action="privacy.erasure_done", actor_id=actor_id, target_type="user",
          target_id=worker_id)
    db_session.flush()
    # The in-process cache of username look-alikes must not keep her pseudonym.
    accounts_service.username_skeletons.cache_clear()
    log.info("erased user %d", worker_id)
