"""What the bookings capability stores and how long: bookings are bookkeeping, 7 years (Dutch tax rules)."""

from location_ops.accounts.models import Role
from location_ops.i18n import lazy
from location_ops.privacy.declarations import DataRule, declare

declare(
    DataRule(
        table="bookings",
        holds=lazy("Booking history: who rented which room for which shift, price and charges, when checked "
                   "in and out (statements are made from these)"),
        purpose=lazy("Renting rooms, and the bookkeeping the tax rules require"),
        seen_by=frozenset({Role.WORKER, Role.HOST, Role.OPERATOR}), period="bookkeeping_retention_years",
        time_column="day",
        notice=lazy("Your bookings: room, shift, day, price, charges, and when you checked in and out")),
    DataRule(
        table="calendar_feeds",
        holds=lazy("Secret addresses of calendar feeds of own bookings"),
        purpose=lazy("Showing your bookings in your own calendar app, in neutral words"),
        seen_by=frozenset({Role.WORKER}), kept_while=lazy("until the feed is revoked"),
        notice=lazy("The secret address of your calendar feed, if you made one")),
)
