"""The navigation: which sections a role sees in the menu. Capabilities add entries.

Entries carry an area (``group``): the menu shows the first entries of a role in its bar and
every entry, grouped by area, behind "More", so nothing is out of sight on any screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from location_ops.access import Rule
from location_ops.accounts.models import Role
from location_ops.i18n import lazy

#: The areas of the menu, in the order shown behind "More": key -> English msgid.
GROUPS: dict[str, str] = {
    "reception": lazy("Reception"),
    "rentals": lazy("Rooms and rent"),
    "support": lazy("Support"),
    "admin": lazy("Administration"),
    "account": lazy("You"),
}


@dataclass(frozen=True)
class NavEntry:
    path: str
    label: str  # an English msgid, translated when rendered
    rule: Rule
    order: int = 50
    group: str = "account"


ENTRIES: list[NavEntry] = []


def add(path: str, label: str, rule: Rule, order: int = 50, group: str = "account") -> None:
    """Register a menu entry shown to the roles of ``rule``, in the area ``group`` (a key of GROUPS)."""
    if group not in GROUPS:
        raise ValueError(f"unknown menu group {group!r}")
    ENTRIES.append(NavEntry(path, label, rule, order, group))
    ENTRIES.sort(key=lambda entry: entry.order)


def for_role(role: Role) -> list[NavEntry]:
    return [entry for entry in ENTRIES if role in entry.rule.roles]


def grouped_for_role(role: Role) -> list[tuple[str, list[NavEntry]]]:
    """The role's entries by area: (area label msgid, entries), areas in the order of GROUPS."""
    keys = list(GROUPS)
    entries = sorted(for_role(role), key=lambda entry: (keys.index(entry.group), entry.order))
    return [(GROUPS[key], list(items)) for key, items in groupby(entries, key=lambda entry: entry.group)]
