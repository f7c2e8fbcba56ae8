"""Reception: the append-only reception log and the host's shifts with handover notes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

The log is append-only: a trigger refuses any UPDATE of what an entry says (its time,
kind, room, timing and text), on SQLite and on PostgreSQL alike. Deleting stays possible
for retention only (no route deletes); foreign keys that are set to NULL when a user or a
booking goes away touch columns the trigger does not guard.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUARDED = "at, kind, room_id, timing, text"
MESSAGE = "reception log entries are append-only"


def upgrade() -> None:
    op.create_table(
        "reception_log_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("timing", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_reception_log_entries_room_id_rooms"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_reception_log_entries_worker_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"],
                                name=op.f("fk_reception_log_entries_booking_id_bookings"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_reception_log_entries_author_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["corrects_id"], ["reception_log_entries.id"],
                                name=op.f("fk_reception_log_entries_corrects_id_reception_log_entries"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_log_entries")),
    )
    op.create_index("ix_reception_log_entries_at", "reception_log_entries", ["at"])
    op.create_index("ix_reception_log_entries_kind_at", "reception_log_entries", ["kind", "at"])
    op.create_index("ix_reception_log_entries_room_id_at", "reception_log_entries", ["room_id", "at"])
    op.create_index(op.f("ix_reception_log_entries_corrects_id"), "reception_log_entries", ["corrects_id"])

    op.create_table(
        "reception_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("open_key", sa.String(length=8), nullable=True),
        sa.Column("handover_entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["host_id"], ["users.id"], name=op.f("fk_reception_shifts_host_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ended_by_id"], ["users.id"], name=op.f("fk_reception_shifts_ended_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["handover_entry_id"], ["reception_log_entries.id"],
                                name=op.f("fk_reception_shifts_handover_entry_id_reception_log_entries"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_shifts")),
        sa.UniqueConstraint("open_key", name=op.f("uq_reception_shifts_open_key")),
    )
    op.create_index(op.f("ix_reception_shifts_started_at"), "reception_shifts", ["started_at"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION reception_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END $$""")
        op.execute(f"""
            CREATE TRIGGER tr_reception_log_append_only BEFORE UPDATE OF {GUARDED}
            ON reception_log_entries FOR EACH ROW EXECUTE FUNCTION reception_log_append_only()""")
    else:
        op.execute(f"""
            CREATE TRIGGER tr_reception_log_append_only BEFORE UPDATE OF {GUARDED}
            ON reception_log_entries BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS tr_reception_log_append_only"
               + (" ON reception_log_entries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS reception_log_append_only()")
    op.drop_index(op.f("ix_reception_shifts_started_at"), table_name="reception_shifts")
    op.drop_table("reception_shifts")
    op.drop_index(op.f("ix_reception_log_entries_corrects_id"), table_name="reception_log_entries")
    op.drop_index("ix_reception_log_entries_room_id_at", table_name="reception_log_entries")
    op.drop_index("ix_reception_log_entries_kind_at", table_name="reception_log_entries")
    op.drop_index("ix_reception_log_entries_at", table_name="reception_log_entries")
    op.drop_table("reception_log_entries")
