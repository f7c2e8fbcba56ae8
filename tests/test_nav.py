"""The menu: every entry of a role appears once behind "More", in its area."""

from __future__ import annotations

import pytest

from location_ops import nav
from location_ops.access import SIGNED_IN
from location_ops.accounts.models import Role


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", list(Role))
def test_every_entry_of_a_role_is_in_exactly_one_area(app, role):
    grouped = nav.grouped_for_role(role)
    paths = [entry.path for _, entries in grouped for entry in entries]
    assert sorted(paths) == sorted(entry.path for entry in nav.for_role(role))
    assert len(paths) == len(set(paths))
    labels = [label for label, _ in grouped]
    assert labels == [label for label in nav.GROUPS.values() if label in labels], "areas out of order"


def test_an_entry_needs_a_known_area():
    with pytest.raises(ValueError, match="unknown menu group"):
        nav.add("/nowhere", "Nowhere", SIGNED_IN, group="elsewhere")
    assert all(entry.path != "/nowhere" for entry in nav.ENTRIES)
