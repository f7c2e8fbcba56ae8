"""Every table declares what it holds, who sees it and how long; `location-ops purge` follows that."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select

from location_ops import cli
from location_ops.accounts.models import AuthSession, LoginAttempt, Role, User
from location_ops.alarms.models import Alarm, AlarmEvent, AlarmState, Resolution
from location_ops.bookings.models import Booking, BookingStatus
from location_ops.clock import clock
from location_ops.config import Settings, get_settings
from location_ops.contracts.models import Contract, ContractStatus, Payment, PaymentMethod
from location_ops.db import Base
from location_ops.hygiene.models import (
    ChecklistItem,
    ChecklistTemplate,
    HygieneHold,
    HygieneRound,
    ItemResult,
    RoundKind,
    RoundResult,
    RoundStatus,
    SupplyNeed,
)
from location_ops.privacy import declarations
from location_ops.privacy.models import AuditEvent
from location_ops.reception.models import EntryKind, HostShift, LogEntry
from location_ops.rooms.models import Room
from location_ops.rota.models import TalkRequest, Visit

NOW = dt.datetime(2031, 6, 15, 12, 0, tzinfo=dt.UTC)


def test_every_table_in_the_metadata_has_a_declared_rule():
    assert declarations.undeclared_tables() == []


def test_every_table_the_migrations_make_has_a_declared_rule(db):
    migrated = set(inspect(db.get_bind()).get_table_names()) - {"alembic_version"}
    assert migrated == set(Base.metadata.tables)
    assert declarations.undeclared_tables() == []


def test_a_table_without_a_rule_is_reported():
    metadata = MetaData()
    for name, rows in Base.metadata.tables.items():
        rows.to_metadata(metadata)
    Table("worker_photos", metadata, Column("id", Integer, primary_key=True))
    assert declarations.undeclared_tables(metadata) == ["worker_photos"]


@pytest.mark.parametrize("rule", declarations.load(), ids=lambda rule: rule.key)
def test_each_rule_names_a_real_column_setting_and_parent(rule):
    rows = Base.metadata.tables[rule.table]
    assert rule.holds and rule.purpose
    if rule.time_column:
        assert rule.time_column in rows.c
    if rule.period:
        field = Settings.model_fields[rule.period]
        assert field.description, "a retention period is a documented setting"
    if rule.follows:
        column, parent = rule.follows
        assert {key.column.table.name for key in rows.c[column].foreign_keys} == {parent}
        assert declarations.rules_for(parent)
    for name in rule.clears:
        assert name in rows.c


def test_the_issue_s_tables_have_their_periods():
    keys = {rule.key: rule for rule in declarations.load()}
    assert keys["hygiene_rounds"].period == "hygiene_round_retention_days"
    assert keys["hygiene_round_results.notes"].period == "hygiene_note_retention_days"
    for key in ("bookings", "payments", "contracts.ended"):
        assert keys[key].period == "bookkeeping_retention_years"
    settings = Settings()
    assert (settings.hygiene_round_retention_days, settings.hygiene_note_retention_days,
            settings.bookkeeping_retention_years) == (730, 365, 7)
    for key in ("devices", "alarms", "alarm_events", "reception_shifts", "reception_log_entries.other"):
        assert key in keys


def _ago(**delta) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def _years_ago(years: int, days: int) -> dt.date:
    return (declarations.years_before(NOW, years) - dt.timedelta(days=days)).date()


def _seed(db) -> dict[str, dict[str, int]]:
    """One row just past each period ("old"), one just inside ("young"), and rows no period touches."""
    long_ago = _ago(days=20 * 365)
    worker = User(username="Roos", username_key="roos", role=Role.WORKER, password_hash="x", created_at=long_ago)
    host = User(username="host", username_key="host", role=Role.HOST, password_hash="x", created_at=long_ago)
    room = Room(number=1, name="Room 1")
    template = ChecklistTemplate(kind=RoundKind.TURNOVER, version=99, current=False, created_at=long_ago)
    db.add_all([worker, host, room, template])
    db.flush()
    item = ChecklistItem(template_id=template.id, key="bed", position=1, text_nl="Bed", text_en="Bed")
    towels = ChecklistItem(template_id=template.id, key="towels", position=2, text_nl="Handdoeken", text_en="Towels")
    db.add_all([item, towels])
    db.flush()
    ids: dict[str, dict[str, int]] = {}

    def add(key: str, label: str, row) -> None:
        db.add(row)
        db.flush()
        ids.setdefault(key, {})[label] = row.id

    for label, day in (("old", _years_ago(7, 1)), ("young", _years_ago(7, -1))):
        starts = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
        add("bookings", label, Booking(room_id=room.id, worker_id=worker.id, shift="day", day=day, starts_at=starts,
                                       ends_at=starts + dt.timedelta(hours=12), price_cents=8000,
                                       status=BookingStatus.BOOKED, created_at=starts))
        add("payments", label, Payment(worker_id=worker.id, amount_cents=8000, method=PaymentMethod.CASH,
                                       paid_on=day, recorded_at=starts))
        add("contracts", label, Contract(worker_id=worker.id, status=ContractStatus.ENDED,
                                         starts_on=day - dt.timedelta(days=90), ends_on=day, created_at=starts))
    add("contracts", "active", Contract(worker_id=worker.id, status=ContractStatus.ACTIVE,
                                        starts_on=_years_ago(9, 0), ends_on=_years_ago(8, 0), created_at=long_ago))

    for label, days in (("old", 366), ("young", 364)):
        alarm = Alarm(state=AlarmState.RESOLVED, resolution=Resolution.HANDLED, room_id=room.id, source="staff",
                      raised_at=_ago(days=days, hours=1), resolved_at=_ago(days=days))
        add("alarms", label, alarm)
        add("alarm_events", label, AlarmEvent(alarm_id=alarm.id, kind="raised", at=alarm.raised_at))
        add("reception_log_entries", f"note-{label}", LogEntry(at=_ago(days=days), kind=EntryKind.NOTE, text="n"))
        add("reception_shifts", label, HostShift(host_id=host.id, started_at=_ago(days=days),
                                                 ended_at=_ago(days=days - 1)))
        add("audit_events", label, AuditEvent(at=_ago(days=days), action="login.success"))
    open_alarm = Alarm(state=AlarmState.RAISED, room_id=room.id, source="staff", raised_at=_ago(days=900),
                       open_key="1")
    add("alarms", "open", open_alarm)
    add("alarm_events", "open", AlarmEvent(alarm_id=open_alarm.id, kind="raised", at=_ago(days=900)))
    for label, days in (("old", 31), ("young", 29)):
        add("reception_log_entries", f"visitor-{label}",
            LogEntry(at=_ago(days=days), kind=EntryKind.VISITOR_IN, room_id=room.id))
    add("reception_log_entries", "check-in", LogEntry(at=_ago(days=100), kind=EntryKind.WORKER_IN,
                                                      room_id=room.id, worker_id=worker.id))

    for label, days in (("old", 731), ("young", 729)):
        done = HygieneRound(room_id=room.id, kind=RoundKind.TURNOVER, template_id=template.id,
                            status=RoundStatus.COMPLETED, created_at=_ago(days=days, hours=2),
                            completed_at=_ago(days=days), done_by_id=worker.id, done_by_role="worker")
        add("hygiene_rounds", label, done)
        add("hygiene_round_results", label, RoundResult(round_id=done.id, item_id=item.id, result=ItemResult.FAILED,
                                                        note="stain on the wall", at=_ago(days=days),
                                                        by_role="worker", by_id=worker.id))
        add("hygiene_holds", label, HygieneHold(room_id=room.id, round_id=done.id, item_id=item.id,
                                                created_at=_ago(days=days), cleared_at=_ago(days=days)))
        add("hygiene_supply_needs", label, SupplyNeed(room_id=room.id, item_key="bed", item_id=item.id,
                                                      marked_at=_ago(days=days + 1), restocked_at=_ago(days=days)))
    pending = HygieneRound(room_id=room.id, kind=RoundKind.DAILY, template_id=template.id,
                           status=RoundStatus.PENDING, created_at=_ago(days=900))
    add("hygiene_rounds", "pending", pending)
    for label, days in (("note-old", 366), ("note-young", 364)):
        checked = item if days > 365 else towels
        add("hygiene_round_results", label, RoundResult(round_id=pending.id, item_id=checked.id, result=ItemResult.OK,
                                                        note=f"{label} text", at=_ago(days=days), by_role="host"))
    add("hygiene_supply_needs", "open", SupplyNeed(room_id=room.id, item_key="bed", item_id=item.id,
                                                   marked_at=_ago(days=900)))

    for label, minutes in (("old", 16), ("young", 14)):
        add("login_attempts", label, LoginAttempt(username_key="roos", address="127.0.0.1",
                                                  at=_ago(minutes=minutes)))
    for label, expires in (("old", _ago(minutes=1)), ("young", _ago(minutes=-1))):
        add("auth_sessions", label, AuthSession(token_hash=f"hash-{label}", kind="web", user_id=worker.id,
                                                csrf_token="c", created_at=_ago(hours=8), last_seen_at=_ago(hours=1),
                                                expires_at=expires))

    caseworker = User(username="sanne", username_key="sanne", role=Role.CASEWORKER, password_hash="x",
                      created_at=long_ago)
    db.add(caseworker)
    db.flush()
    visit = Visit(caseworker_id=caseworker.id, weekday=1, starts_at=dt.time(14), ends_at=dt.time(16),
                  valid_from=_ago(days=400).date(), created_at=long_ago)
    db.add(visit)
    db.flush()
    for label, days in (("old", 8), ("young", 6)):
        add("talk_requests", label, TalkRequest(worker_id=worker.id, visit_id=visit.id, on_date=_ago(days=days).date(),
                                                topics="money", note="", visit_ends_at=_ago(days=days),
                                                created_at=_ago(days=days + 2)))
    db.commit()
    ids["users"] = {"worker": worker.id, "host": host.id}
    ids["rooms"] = {"room": room.id}
    return ids


def _run_purge(monkeypatch, capsys, settings) -> str:
    monkeypatch.setenv("LOCATION_OPS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LOCATION_OPS_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        assert cli.main(["purge"]) == 0
    finally:
        get_settings.cache_clear()
    return capsys.readouterr().out


def _left(db, model, wanted: dict[str, int]) -> set[str]:
    present = set(db.scalars(select(model.id).where(model.id.in_(wanted.values()))))
    return {label for label, row_id in wanted.items() if row_id in present}


def test_purge_removes_exactly_what_the_rules_say(app, db, settings, monkeypatch, capsys):
    ids = _seed(db)
    clock.freeze(NOW - dt.timedelta(days=2))
    output = _run_purge(monkeypatch, capsys, settings)
    assert "removed" in output
    db.expire_all()
    assert _left(db, Booking, ids["bookings"]) == {"old", "young"}, "nothing goes before its period"
    assert _left(db, HygieneRound, ids["hygiene_rounds"]) == {"old", "young", "pending"}
    assert db.get(RoundResult, ids["hygiene_round_results"]["note-old"]).note == "note-old text"
    assert _left(db, Alarm, ids["alarms"]) == {"old", "young", "open"}

    db.rollback()  # end the read: SQLite's writers queue behind it
    clock.freeze(NOW)
    output = _run_purge(monkeypatch, capsys, settings)
    db.expire_all()
    expected = {
        Booking: ("bookings", {"young"}), Payment: ("payments", {"young"}),
        Contract: ("contracts", {"young", "active"}),
        Alarm: ("alarms", {"young", "open"}), AlarmEvent: ("alarm_events", {"young", "open"}),
        LogEntry: ("reception_log_entries", {"note-young", "visitor-young", "check-in"}),
        HostShift: ("reception_shifts", {"young"}), AuditEvent: ("audit_events", {"young"}),
        HygieneRound: ("hygiene_rounds", {"young", "pending"}),
        RoundResult: ("hygiene_round_results", {"young", "note-old", "note-young"}),
        HygieneHold: ("hygiene_holds", {"young"}), SupplyNeed: ("hygiene_supply_needs", {"young", "open"}),
        LoginAttempt: ("login_attempts", {"young"}), AuthSession: ("auth_sessions", {"young"}),
        TalkRequest: ("talk_requests", {"young"}),
        User: ("users", {"worker", "host"}), Room: ("rooms", {"room"}),
    }
    for model, (key, left) in expected.items():
        assert _left(db, model, ids[key]) == left, key
    # Notes inside rounds are blanked after a year; the round (the inspection record) stays for two.
    assert db.get(RoundResult, ids["hygiene_round_results"]["note-old"]).note == ""
    assert db.get(RoundResult, ids["hygiene_round_results"]["young"]).note == ""
    assert db.get(RoundResult, ids["hygiene_round_results"]["note-young"]).note == "note-young text"
    # Every rule that deletes was exercised: a new one needs rows in _seed before this passes.
    deleting = {rule.key for rule in declarations.load()
                if rule.time_column and not (rule.follows and rule.period is None)}
    printed = dict(line.rsplit(": ", 1) for line in output.splitlines())
    assert deleting <= set(printed)
    assert [key for key, said in printed.items() if said.split()[0] == "0"] == []
    for line in ("bookings: 1 removed", "payments: 1 removed", "contracts.ended: 1 removed", "alarms: 1 removed",
                 "alarm_events: 1 removed", "reception_log_entries.visitors: 1 removed",
                 "reception_log_entries.other: 1 removed", "hygiene_rounds: 1 removed",
                 "hygiene_round_results.notes: 1 blanked", "hygiene_supply_needs: 1 removed"):
        assert line in output.splitlines()
