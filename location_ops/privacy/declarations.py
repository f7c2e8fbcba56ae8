"""What every table holds, who sees it and how long it is kept: the declarations.

Each capability declares a :class:`DataRule` for each of its tables in its
``retention.py`` (``declare(DataRule(...))``). The declarations are the one source for
`location-ops purge` (:mod:`location_ops.privacy.retention` follows them), for the
operator's data page (the register of processing, GDPR Art. 30) and for the privacy
notice a worker reads. ``tests/privacy/test_declarations.py`` fails for a table that
has none.

A rule either names a retention period — a setting whose name ends in ``_minutes``,
``_hours``, ``_days`` or ``_years`` — counted from ``time_column``, or says why the
rows are kept (``kept_while``). A rule may narrow itself to some rows (``where``),
blank some columns instead of deleting rows (``clears``), or let its rows go with the
parent rows they belong to (``follows``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Date, MetaData, Table
from sqlalchemy.sql.elements import ColumnElement

from location_ops.accounts.models import Role
from location_ops.clock import LOCAL_TZ
from location_ops.config import Settings
from location_ops.db import Base
from location_ops.i18n import _, lazy, ngettext
from location_ops.models import CAPABILITIES, import_capability_module

UNITS = ("minutes", "hours", "days", "years")


@dataclass(frozen=True)
class DataRule:
    """One kind of data in one table: what it is, who sees it, how long it stays."""

    #: The table's name (``__tablename__``).
    table: str
    #: What the rows hold, for the data page (a msgid marked with ``lazy``).
    holds: str
    #: Why it is stored (the purpose in the register of processing), a ``lazy`` msgid.
    purpose: str
    #: Roles that may see it (DESIGN §6).
    seen_by: frozenset[Role]
    #: Name of the Settings field with the retention period (unit from its suffix).
    period: str | None = None
    #: Why and how long it is kept when there is no period (a ``lazy`` msgid). With a
    #: ``time_column`` and no period, a row goes once that time has passed (an expiry).
    kept_while: str | None = None
    #: The column the period is counted from (a time, or a date for bookkeeping).
    time_column: str | None = None
    #: Only rows matching this condition fall under the rule.
    where: Callable[[Table], ColumnElement[bool]] | None = None
    #: Instead of deleting rows past the period, set these text columns to ''.
    clears: tuple[str, ...] = ()
    #: ``(foreign key column, parent table)``: the rows go with their parent row.
    follows: tuple[str, str] | None = None
    #: What the worker's privacy notice says is kept about her (a ``lazy`` msgid), if anything.
    notice: str | None = None
    #: Distinguishes several rules on one table (``reception_log_entries.visitors``).
    variant: str = ""
    #: Data about people (not configuration); counted on the data page all the same.
    personal: bool = True
    #: Workers see every row (caseworker profiles), not only their own; set-up data always.
    workers_see_all: bool = False

    def __post_init__(self) -> None:
        if (self.period is None) == (self.kept_while is None) and self.follows is None:
            raise ValueError(f"rule for {self.table}: give a period or kept_while, not both or neither")
        if self.period is not None:
            if self.time_column is None:
                raise ValueError(f"rule for {self.table}: a period needs a time_column")
            if self.period.rsplit("_", 1)[-1] not in UNITS:
                raise ValueError(f"rule for {self.table}: {self.period} must end in one of {UNITS}")

    @property
    def workers_see_own_only(self) -> bool:
        return self.personal and not self.workers_see_all

    @property
    def key(self) -> str:
        return f"{self.table}.{self.variant}" if self.variant else self.table

    @property
    def unit(self) -> str | None:
        return self.period.rsplit("_", 1)[-1] if self.period else None

    def amount(self, settings: Settings) -> int | None:
        return getattr(settings, self.period) if self.period else None

    def cutoff(self, settings: Settings, now: dt.datetime) -> dt.datetime | dt.date:
        """The moment before which rows under this rule are past their period."""
        amount, unit = self.amount(settings), self.unit
        if unit == "years":
            moment = years_before(now, amount)
        else:
            moment = now - dt.timedelta(**{unit: amount})
        if isinstance(self.column().type, Date):
            return moment.astimezone(LOCAL_TZ).date()  # bookkeeping dates are local days
        return moment

    def column(self) -> Column:
        return table(self.table).c[self.time_column]

    def kept_text(self, settings: Settings) -> str:
        """How long it is kept, as a sentence fragment in the current language."""
        if self.follows is not None and self.period is None:
            return _("as long as what it belongs to (%(kept)s)") % {
                "kept": rule_for(self.follows[1]).kept_text(settings)}
        if self.period is None:
            return _(self.kept_while)
        amount = self.amount(settings)
        return {
            "minutes": lambda: ngettext("%(n)s minute", "%(n)s minutes", amount),
            "hours": lambda: ngettext("%(n)s hour", "%(n)s hours", amount),
            "days": lambda: ngettext("%(n)s day", "%(n)s days", amount),
            "years": lambda: ngettext("%(n)s year", "%(n)s years", amount),
        }[self.unit]() % {"n": amount}

    def clears_text(self) -> str | None:
        return _("the text is blanked, the rest stays") if self.clears else None


def years_before(moment: dt.datetime, years: int) -> dt.datetime:
    """The same date and time ``years`` earlier (29 February becomes the 28th)."""
    year = moment.year - years
    day = min(moment.day, calendar.monthrange(year, moment.month)[1])
    return moment.replace(year=year, day=day)


RULES: list[DataRule] = []


def declare(*rules: DataRule) -> None:
    """Declare the rules of a capability's tables (from its ``retention.py``)."""
    for rule in rules:
        if any(existing.key == rule.key for existing in RULES):
            raise ValueError(f"{rule.key} is declared twice")
        RULES.append(rule)


def load() -> list[DataRule]:
    """Import every capability's declarations and return all rules, in declaration order."""
    for capability in CAPABILITIES:
        import_capability_module(capability, "retention")
    return RULES


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def rules_for(name: str) -> list[DataRule]:
    return [rule for rule in load() if rule.table == name]


def rule_for(name: str) -> DataRule:
    """The main (first) rule of a table."""
    return rules_for(name)[0]


def undeclared_tables(metadata: MetaData | None = None) -> list[str]:
    """Tables in the metadata (the app's, by default) that no rule covers."""
    declared = {rule.table for rule in load()}
    return sorted(name for name in (metadata or Base.metadata).tables if name not in declared)


# Role sets the declarations use most.
STAFF = frozenset({Role.HOST, Role.OPERATOR})
OPERATOR = frozenset({Role.OPERATOR})
EVERYONE = frozenset(Role)
ALARM_ROLES = frozenset({Role.WORKER, Role.HOST, Role.OPERATOR, Role.SECURITY})

#: Shared wording of the reasons to keep without a period.
WHILE_ACCOUNT = lazy("as long as the account exists; then erased")
WHILE_CONFIGURED = lazy("as long as it is part of the location's set-up")
WHILE_DEVICE = lazy("as long as the device is installed")
