"""The rooms capability stores the location's set-up only: kept while it is in use."""

from location_ops.accounts.models import Role
from location_ops.i18n import lazy
from location_ops.privacy.declarations import OPERATOR, WHILE_CONFIGURED, DataRule, declare

BOOKING_ROLES = frozenset({Role.WORKER, Role.HOST, Role.OPERATOR})

declare(
    DataRule(table="rooms", personal=False, holds=lazy("Rooms: number, name, in use or not"),
             purpose=lazy("Renting rooms"), seen_by=BOOKING_ROLES, kept_while=WHILE_CONFIGURED),
    DataRule(table="shift_templates", personal=False, holds=lazy("Shifts: name, times, weekdays, price"),
             purpose=lazy("Renting rooms"), seen_by=BOOKING_ROLES, kept_while=WHILE_CONFIGURED),
    DataRule(table="shift_rates", personal=False, holds=lazy("Prices of a shift in a particular room"),
             purpose=lazy("Renting rooms"), seen_by=BOOKING_ROLES, kept_while=WHILE_CONFIGURED),
    DataRule(table="room_outages", personal=False,
             holds=lazy("Times a room is out of use, with a reason"),
             purpose=lazy("Renting rooms"), seen_by=OPERATOR, kept_while=WHILE_CONFIGURED),
)
