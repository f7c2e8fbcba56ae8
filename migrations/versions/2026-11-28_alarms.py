"""Alarms: devices (panic buttons), alarms, their events, and the bridge's status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=True),
        sa.Column("battery", sa.Integer(), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=True),
        sa.Column("test_until", TZ, nullable=True),
        sa.Column("last_test_at", TZ, nullable=True),
        sa.Column("recent_counters", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_devices_room_id_rooms"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("family", "device_id", name="uq_devices_family_device_id"),
    )
    op.create_index(op.f("ix_devices_room_id"), "devices", ["room_id"], unique=False)
    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("device_pk", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("is_test", sa.Boolean(), nullable=False),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("raised_at", TZ, nullable=False),
        sa.Column("acknowledged_at", TZ, nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("escalated_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_alarms_room_id_rooms"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["device_pk"], ["devices.id"], name=op.f("fk_alarms_device_pk_devices"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["raised_by_id"], ["users.id"], name=op.f("fk_alarms_raised_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"],
                                name=op.f("fk_alarms_acknowledged_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_alarms_resolved_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
        sa.UniqueConstraint("open_key", name=op.f("uq_alarms_open_key")),
    )
    op.create_index(op.f("ix_alarms_state"), "alarms", ["state"], unique=False)
    op.create_index(op.f("ix_alarms_raised_at"), "alarms", ["raised_at"], unique=False)
    op.create_index(op.f("ix_alarms_raised_by_id"), "alarms", ["raised_by_id"], unique=False)
    op.create_table(
        "alarm_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_events_alarm_id_alarms"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_alarm_events_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_events")),
    )
    op.create_index(op.f("ix_alarm_events_alarm_id"), "alarm_events", ["alarm_id"], unique=False)
    op.create_table(
        "bridge_status",
        sa.Column("site", sa.String(length=64), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("malformed_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_bridge_status")),
    )


def downgrade() -> None:
    op.drop_table("bridge_status")
    op.drop_index(op.f("ix_alarm_events_alarm_id"), table_name="alarm_events")
    op.drop_table("alarm_events")
    op.drop_index(op.f("ix_alarms_raised_by_id"), table_name="alarms")
    op.drop_index(op.f("ix_alarms_raised_at"), table_name="alarms")
    op.drop_index(op.f("ix_alarms_state"), table_name="alarms")
    op.drop_table("alarms")
    op.drop_index(op.f("ix_devices_room_id"), table_name="devices")
    op.drop_table("devices")
