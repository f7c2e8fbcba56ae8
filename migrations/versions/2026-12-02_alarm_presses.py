"""Alarms: count repeated presses on the alarm itself; the broker's dropped-message count.

A storm of presses on one open alarm updates a counter and the last-press time instead of
storing an event per press, so one message never costs more as an alarm's history grows.
The bridge records what Mosquitto reports under ``$SYS/broker/publish/messages/dropped``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TZ = sa.DateTime(timezone=True)

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alarms") as batch:
        batch.add_column(sa.Column("press_count", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("last_press_at", TZ, nullable=True))
    op.execute("UPDATE alarms SET last_press_at = raised_at")
    op.execute("UPDATE alarms SET press_count = 1 + (SELECT count(*) FROM alarm_events "
               "WHERE alarm_events.alarm_id = alarms.id AND alarm_events.kind = 'press')")
    with op.batch_alter_table("bridge_status") as batch:
        batch.add_column(sa.Column("broker_dropped", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("broker_dropped_at", TZ, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bridge_status") as batch:
        batch.drop_column("broker_dropped_at")
        batch.drop_column("broker_dropped")
    with op.batch_alter_table("alarms") as batch:
        batch.drop_column("last_press_at")
        batch.drop_column("press_count")
