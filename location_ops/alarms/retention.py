"""What the alarms capability stores, who sees it and how long (DESIGN §2: alarms a year)."""

from location_ops.accounts.models import Role
from location_ops.i18n import lazy
from location_ops.privacy.declarations import ALARM_ROLES, STAFF, WHILE_DEVICE, DataRule, declare

declare(
    DataRule(
        table="alarms",
        holds=lazy("Alarms: room, the button or person that raised it, when it was raised, acknowledged and "
                   "resolved, and by whom"),
        purpose=lazy("Safety: getting help to a room at once, and checking afterwards how it went"),
        seen_by=ALARM_ROLES, period="alarm_retention_days", time_column="resolved_at",
        notice=lazy("Alarms you raised, and who answered them")),
    DataRule(
        table="alarm_events", follows=("alarm_id", "alarms"),
        holds=lazy("Alarm events: every press, acknowledgement, escalation and resolution, with who and a note"),
        purpose=lazy("Safety: the full course of each alarm"),
        seen_by=STAFF | {Role.SECURITY}),
    DataRule(
        table="devices", personal=False,
        holds=lazy("Panic buttons and other devices: family, device id, room, battery, last message, tests"),
        purpose=lazy("Safety: knowing that every button works"),
        seen_by=STAFF, kept_while=WHILE_DEVICE),
    DataRule(
        table="bridge_status", personal=False,
        holds=lazy("State of the connection to the alarm broker, one row per site"),
        purpose=lazy("Safety: warning when alarms might not arrive"),
        seen_by=STAFF, kept_while=lazy("one row per site, overwritten as the state changes")),
)
