"""The navigation: which sections a role sees in the menu. Capabilities add entries."""

from __future__ import annotations

from dataclasses import dataclass

from location_ops.access import Rule
from location_ops.accounts.models import Role


@dataclass(frozen=True)
class NavEntry:
    path: str
    label: str  # an English msgid, translated when rendered
    rule: Rule
    order: int = 50


ENTRIES: list[NavEntry] = []


def add(path: str, label: str, rule: Rule, order: int = 50) -> None:
    """Register a menu entry shown to the roles of ``rule``."""
    ENTRIES.append(NavEntry(path, label, rule, order))
    ENTRIES.sort(key=lambda entry: entry.order)


def for_role(role: Role) -> list[NavEntry]:
    return [entry for entry in ENTRIES if role in entry.rule.roles]
