"""Rentals: out-of-service periods, shift templates and rates, contracts, house rules,
payments, bookings (with the no-double-booking rule in the database), calendar feeds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Names must match location_ops/bookings/models.py (ROOM_OVERLAP, WORKER_OVERLAP).
ROOM_OVERLAP = "ex_bookings_room_overlap"
WORKER_OVERLAP = "ex_bookings_worker_overlap"


def _sqlite_overlap_trigger(name: str, event: str, column: str, message: str) -> str:
    # SQLite serialises writers (and db.py begins every transaction with BEGIN
    # IMMEDIATE), so a BEFORE trigger sees every committed booking: as strict as an
    # exclusion constraint. Timestamps are stored as fixed-width UTC text, so text
    # comparison is time comparison.
    same_row = "AND other.id <> NEW.id" if event.startswith("UPDATE") else ""
    return f"""
        CREATE TRIGGER {name} BEFORE {event} ON bookings
        WHEN NEW.status = 'booked'
        BEGIN
            SELECT RAISE(ABORT, '{message}')
            WHERE EXISTS (
                SELECT 1 FROM bookings AS other
                WHERE other.{column} = NEW.{column} AND other.status = 'booked'
                  AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at {same_row}
            );
        END
    """


def upgrade() -> None:
    op.create_table(
        "room_outages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_room_outages_period")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_room_outages_room_id_rooms"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_outages")),
    )
    op.create_index(op.f("ix_room_outages_room_id"), "room_outages", ["room_id"])

    op.create_table(
        "shift_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_shift_templates_name")),
    )
    op.create_table(
        "shift_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["shift_id"], ["shift_templates.id"],
                                name=op.f("fk_shift_rates_shift_id_shift_templates"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_shift_rates_room_id_rooms"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_rates")),
        sa.UniqueConstraint("shift_id", "room_id", name="uq_shift_rates_shift_room"),
    )

    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("late_cancel_percent", sa.Integer(), nullable=False),
        sa.Column("no_show_percent", sa.Integer(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_contracts_dates")),
        sa.CheckConstraint("late_cancel_percent BETWEEN 0 AND 100",
                           name=op.f("ck_contracts_late_cancel_percent")),
        sa.CheckConstraint("no_show_percent BETWEEN 0 AND 100", name=op.f("ck_contracts_no_show_percent")),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_contracts_worker_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_index(op.f("ix_contracts_worker_id"), "contracts", ["worker_id"])

    op.create_table(
        "house_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house_rules")),
        sa.UniqueConstraint("version", name=op.f("uq_house_rules_version")),
    )
    op.create_table(
        "house_rules_acceptances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"],
                                name=op.f("fk_house_rules_acceptances_worker_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house_rules_acceptances")),
        sa.UniqueConstraint("worker_id", "version", name="uq_house_rules_acceptances_worker_version"),
    )
    op.create_index(op.f("ix_house_rules_acceptances_worker_id"), "house_rules_acceptances", ["worker_id"])

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_payments_amount")),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_payments_worker_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_payments_recorded_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    op.create_index(op.f("ix_payments_worker_id"), "payments", ["worker_id"])

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("shift", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("charge_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_bookings_period")),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_bookings_room_id_rooms"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_bookings_worker_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index("ix_bookings_room_id_starts_at", "bookings", ["room_id", "starts_at"])
    op.create_index("ix_bookings_worker_id_starts_at", "bookings", ["worker_id", "starts_at"])
    op.create_index("ix_bookings_day", "bookings", ["day"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for name, column in ((ROOM_OVERLAP, "room_id"), (WORKER_OVERLAP, "worker_id")):
            op.execute(
                f"ALTER TABLE bookings ADD CONSTRAINT {name} EXCLUDE USING gist "
                f"({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
                "WHERE (status = 'booked')"
            )
    else:
        for name, column in ((ROOM_OVERLAP, "room_id"), (WORKER_OVERLAP, "worker_id")):
            op.execute(_sqlite_overlap_trigger(f"{name}_insert", "INSERT", column, name))
            op.execute(_sqlite_overlap_trigger(
                f"{name}_update", "UPDATE OF status, starts_at, ends_at, room_id, worker_id", column, name))

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_calendar_feeds_worker_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("worker_id", name=op.f("uq_calendar_feeds_worker_id")),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feeds_token")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    if op.get_bind().dialect.name == "sqlite":
        for name in (ROOM_OVERLAP, WORKER_OVERLAP):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {name}_update")
    # The exclusion constraints go with the table; btree_gist stays (other schemas may use it).
    op.drop_index("ix_bookings_day", table_name="bookings")
    op.drop_index("ix_bookings_worker_id_starts_at", table_name="bookings")
    op.drop_index("ix_bookings_room_id_starts_at", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(op.f("ix_payments_worker_id"), table_name="payments")
    op.drop_table("payments")
    op.drop_index(op.f("ix_house_rules_acceptances_worker_id"), table_name="house_rules_acceptances")
    op.drop_table("house_rules_acceptances")
    op.drop_table("house_rules")
    op.drop_index(op.f("ix_contracts_worker_id"), table_name="contracts")
    op.drop_table("contracts")
    op.drop_table("shift_rates")
    op.drop_table("shift_templates")
    op.drop_index(op.f("ix_room_outages_room_id"), table_name="room_outages")
    op.drop_table("room_outages")
