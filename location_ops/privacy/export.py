"""Her own export (GDPR Art. 15 and 20): everything stored about a person, as a ZIP.

The ZIP holds ``data.json`` (every table's rows about her), one CSV per table under
``csv/``, her monthly statements as CSV under ``statements/`` and ``index.html``, a page
that reads without the app. Which rows are about her is decided in ``subject.py`` only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from location_ops.accounts.models import User
from location_ops.bookings.models import Booking
from location_ops.clock import utcnow
from location_ops.contracts import service as contracts_service
from location_ops.contracts.models import Payment
from location_ops import i18n
from location_ops.i18n import _
from location_ops.privacy.service import audit
from location_ops.privacy.subject import TABLE_LABELS, exported_columns, rows_about


@dataclass
class Export:
    filename: str
    content: bytes


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _months(db_session: Session, worker_id: int) -> list[dt.date]:
    """First days of the months in which she has bookings or payments."""
    days = union(select(Booking.day.label("day")).where(Booking.worker_id == worker_id),
                 select(Payment.paid_on.label("day")).where(Payment.worker_id == worker_id)).subquery()
    first, last = db_session.execute(select(func.min(days.c.day), func.max(days.c.day))).one()
    if first is None:
        return []
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def statements_of(*, db_session: Session, worker_id: int) -> list[contracts_service.Statement]:
    """Her monthly statements, from the first month with a booking or payment to the last."""
    return [contracts_service.statement(db_session=db_session, worker_id=worker_id, month=month)
            for month in _months(db_session, worker_id)]


def _csv(name: str, rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [column.name for column in exported_columns(name)]
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(column) is None else _plain(row.get(column)) for column in columns])
    return buffer.getvalue()


def build_export(*, db_session: Session, user: User) -> Export:
    """Everything stored about ``user`` as a ZIP; audited with ids only, in the caller's transaction."""
    from location_ops.web import templates

    now = utcnow()
    tables = rows_about(db_session=db_session, user_id=user.id)
    statements = statements_of(db_session=db_session, worker_id=user.id)
    document = {
        "generated_at": now.isoformat(),
        "user_id": user.id,
        "tables": {name: [{key: _plain(value) for key, value in row.items()} for row in rows]
                   for name, rows in tables.items()},
        "statements": [{
            "month": statement.month.strftime("%Y-%m"), "opening_cents": statement.opening_cents,
            "charges_cents": statement.charges_cents, "paid_cents": statement.paid_cents,
            "balance_cents": statement.balance_cents,
            "lines": [{"day": line.day.isoformat(), "kind": line.kind, "description": line.description,
                       "charge_cents": line.charge_cents, "paid_cents": line.paid_cents} for line in statement.lines],
        } for statement in statements],
    }
    sections = [{"name": name, "label": _(TABLE_LABELS[name]) if name in TABLE_LABELS else name,
                 "columns": [column.name for column in exported_columns(name)], "rows": rows}
                for name, rows in tables.items()]
    page = templates.env.get_template("privacy/export.html").render(
        lang=i18n.current_language(), user=user, generated_at=now, sections=sections, statements=statements, plain=_plain)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", page)
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2, default=str))
        for name, rows in tables.items():
            archive.writestr(f"csv/{name}.csv", _csv(name, rows))
        for statement in statements:
            archive.writestr(f"statements/statement-{statement.month.strftime('%Y-%m')}.csv",
                             contracts_service.statement_csv(statement))
    audit(db_session=db_session, action="privacy.export", actor_id=user.id, target_type="user", target_id=user.id)
    return Export(filename=f"my-data-{now.strftime('%Y-%m-%d')}.zip", content=buffer.getvalue())
