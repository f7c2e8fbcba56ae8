"""Bookings of rooms per shift: the no-double-booking rule, no-shows, calendar feeds."""
