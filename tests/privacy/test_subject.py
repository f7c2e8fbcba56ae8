"""The registry of rows about a person covers every foreign key to users."""

import location_ops.models  # noqa: F401 - every capability's tables
from location_ops.db import Base
from location_ops.privacy.subject import CHILD_ROWS, SECRET_COLUMNS, SUBJECT_COLUMNS, TABLE_LABELS


def test_every_foreign_key_to_users_is_declared():
    pointing = {(fk.parent.table.name, fk.parent.name)
                for table in Base.metadata.tables.values() for fk in table.foreign_keys
                if fk.column.table.name == "users"}
    declared = {(item.table, item.column) for item in SUBJECT_COLUMNS}
    missing = pointing - declared
    assert not missing, f"declare these in location_ops/privacy/subject.py (export and erasure): {sorted(missing)}"
    stale = declared - pointing
    assert not stale, f"declared but no foreign key to users: {sorted(stale)}"


def test_declarations_name_real_columns_and_every_exported_table_has_a_label():
    tables = Base.metadata.tables
    for item in SUBJECT_COLUMNS:
        for column in item.clear:
            assert column in tables[item.table].c, (item.table, column)
        if item.export:
            assert item.table in TABLE_LABELS, item.table
    for child in CHILD_ROWS:
        assert child.column in tables[child.table].c and child.parent in tables
        assert child.table in TABLE_LABELS
    for table, column in SECRET_COLUMNS:
        assert column in tables[table].c, (table, column)
