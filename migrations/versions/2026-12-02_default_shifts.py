"""Rentals: the default shifts of DESIGN §10 on a fresh install.

A new location could take no booking until the operator had made shifts. This data
migration adds ``day`` 10:00–18:00 (€80) and ``evening`` 18:00–01:00 (€120), every
day, when there are no shift templates at all. Being a migration, it runs once per
database: what the operator changes or deactivates later is never put back, and a
database that already has shifts is left as it is. The values are written out here
rather than imported, so the migration stays what it was when later code changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The shift_templates table as this revision knows it.
shift_templates = sa.table(
    "shift_templates",
    sa.column("name", sa.String), sa.column("starts", sa.Time), sa.column("ends", sa.Time),
    sa.column("weekdays", sa.String), sa.column("price_cents", sa.Integer), sa.column("active", sa.Boolean),
)

DEFAULTS = [
    {"name": "day", "starts": dt.time(10, 0), "ends": dt.time(18, 0), "weekdays": "1234567", "price_cents": 8000,
     "active": True},
    {"name": "evening", "starts": dt.time(18, 0), "ends": dt.time(1, 0), "weekdays": "1234567",
     "price_cents": 12000, "active": True},
]


def upgrade() -> None:
    connection = op.get_bind()
    if connection.scalar(sa.select(sa.func.count()).select_from(shift_templates)):
        return
    op.bulk_insert(shift_templates, DEFAULTS)


def downgrade() -> None:
    # Nothing to undo in the schema. The shifts stay: by now they are the operator's data
    # (changed, booked, named on statements), and removing them would lose that.
    pass
