"""Hygiene rules through the service functions: states, the clock, versions, supplies, the record."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from location_ops import i18n
from location_ops.accounts.models import Role
from location_ops.clock import clock
from location_ops.hygiene import service
from location_ops.hygiene.models import (
    ChecklistTemplate, HygieneRound, ItemResult, RoundKind, RoundResult, RoundStatus, SupplyNeed,
)
from tests.hygiene.conftest import answer_all


def test_checkout_needs_cleaning_until_the_turnover_round_is_done(db, rooms, host, now, settings):
    room = rooms[1]
    assert service.check_in_gate(db_session=db, room_id=room, now=now, settings=settings) == "ok"
    pending = service.mark_needs_cleaning(db_session=db, room_id=room, now=now, by_user_id=host.user_id)
    db.commit()
    state = service.room_hygiene_state(db_session=db, room_id=room, now=now, settings=settings)
    assert state.needs_cleaning and state.turnover == RoundStatus.PENDING
    assert service.check_in_gate(db_session=db, room_id=room, now=now, settings=settings) == "warn"
    blocking = settings.model_copy(update={"hygiene_block_check_in": True})
    assert service.check_in_gate(db_session=db, room_id=room, now=now, settings=blocking) == "block"
    # A second check-out before cleaning does not stack a second round.
    again = service.mark_needs_cleaning(db_session=db, room_id=room, now=now, by_user_id=host.user_id)
    assert again.id == pending.id
    # Another room is not affected.
    assert not service.room_hygiene_state(db_session=db, room_id=rooms[2], now=now, settings=settings).needs_cleaning

    started = service.start_round(db_session=db, room_id=room, kind="turnover", actor=host, now=now, settings=settings)
    assert started.id == pending.id and started.status == RoundStatus.IN_PROGRESS
    assert service.room_hygiene_state(db_session=db, room_id=room, now=now,
                                      settings=settings).turnover == RoundStatus.IN_PROGRESS
    answer_all(db, started, host, now)
    service.complete_round(db_session=db, hygiene_round=started, actor=host, now=now)
    db.commit()
    state = service.room_hygiene_state(db_session=db, room_id=room, now=now, settings=settings)
    assert not state.needs_cleaning and state.turnover is None
    assert service.check_in_gate(db_session=db, room_id=room, now=now, settings=blocking) == "ok"
    assert service.hygiene_json(db_session=db, room_id=room, now=now, settings=settings) == {
        "needs_cleaning": False, "turnover": None, "daily_overdue": False, "weekly_overdue": False,
        "out_of_service_by_hygiene": False}


def test_failed_item_needs_a_note_and_can_put_the_room_out_of_service(db, rooms, host, now, settings):
    room = rooms[2]
    hygiene_round = service.start_round(db_session=db, room_id=room, kind="turnover", actor=host, now=now,
                                        settings=settings)
    panic = next(item for item in hygiene_round.template.items if item.key == "panic_button")
    with pytest.raises(service.HygieneError, match="note"):
        service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=panic.id, result="failed",
                            actor=host, now=now, note="  ")
    service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=panic.id, result="failed", actor=host,
                        now=now, note="Light is off", out_of_service=True)
    db.commit()
    state = service.room_hygiene_state(db_session=db, room_id=room, now=now, settings=settings)
    assert state.out_of_service_by_hygiene and [hold.item.key for hold in state.holds] == ["panic_button"]
    assert service.check_in_gate(db_session=db, room_id=room, now=now, settings=settings) == "block"
    assert service.room_hygiene_states(db_session=db, now=now, settings=settings)[room] == state
    # Changing the answer to "done" before the round ends lifts the hold it made.
    service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=panic.id, result="ok", actor=host, now=now)
    assert not service.room_hygiene_state(db_session=db, room_id=room, now=now,
                                          settings=settings).out_of_service_by_hygiene
    service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=panic.id, result="failed", actor=host,
                        now=now, note="Light is off", out_of_service=True)
    answer_all_but = [i for i in hygiene_round.template.items if i.id != panic.id]
    for item in answer_all_but:
        service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=item.id, result="ok", actor=host,
                            now=now)
    service.complete_round(db_session=db, hygiene_round=hygiene_round, actor=host, now=now)
    db.commit()
    # The turnover is done, but the room stays out until staff put it back in service.
    state = service.room_hygiene_state(db_session=db, room_id=room, now=now, settings=settings)
    assert not state.needs_cleaning and state.out_of_service_by_hygiene
    assert service.hygiene_json(db_session=db, room_id=room, now=now, settings=settings)["out_of_service_by_hygiene"]
    service.clear_hold(db_session=db, room_id=room, by_user_id=host.user_id, now=now)
    db.commit()
    assert service.check_in_gate(db_session=db, room_id=room, now=now, settings=settings) == "ok"
    with pytest.raises(service.Conflict):
        service.clear_hold(db_session=db, room_id=room, by_user_id=host.user_id, now=now)


def test_overdue_daily_and_weekly_rounds_follow_the_clock(db, rooms, host, now, settings):
    assert service.overdue_rounds(db_session=db, now=clock.now(), settings=settings) == []
    clock.advance(dt.timedelta(hours=3, minutes=1))  # Monday 12:01: both deadlines passed
    overdue = service.overdue_rounds(db_session=db, now=clock.now(), settings=settings)
    assert {(o.room_number, o.kind) for o in overdue} == {(n, k) for n in (1, 2, 3)
                                                         for k in (RoundKind.DAILY, RoundKind.WEEKLY)}
    state = service.room_hygiene_state(db_session=db, room_id=rooms[1], now=clock.now(), settings=settings)
    assert state.daily_overdue and state.weekly_overdue
    board = service.room_hygiene_states(db_session=db, now=clock.now(), settings=settings)
    assert sorted(board) == sorted([rooms[1], rooms[2], rooms[3]]) and board[rooms[1]] == state
    for kind in (RoundKind.DAILY, RoundKind.WEEKLY):
        done = service.start_round(db_session=db, room_id=rooms[1], kind=kind, actor=host, now=clock.now(),
                                   settings=settings)
        answer_all(db, done, host, clock.now())
        service.complete_round(db_session=db, hygiene_round=done, actor=host, now=clock.now())
    db.commit()
    overdue = service.overdue_rounds(db_session=db, now=clock.now(), settings=settings)
    assert 1 not in {o.room_number for o in overdue} and len(overdue) == 4
    # Tuesday 11:00: nothing is due yet today; the weekly clean of room 1 still counts this week.
    clock.advance(dt.timedelta(hours=23))
    assert {(o.room_number, o.kind) for o in service.overdue_rounds(db_session=db, now=clock.now(),
                                                                     settings=settings)} == {
        (2, RoundKind.WEEKLY), (3, RoundKind.WEEKLY)}
    clock.advance(dt.timedelta(hours=1))  # Tuesday 12:00: room 1's daily round is due again
    overdue = service.overdue_rounds(db_session=db, now=clock.now(), settings=settings)
    assert (1, RoundKind.DAILY) in {(o.room_number, o.kind) for o in overdue}
    assert (1, RoundKind.WEEKLY) not in {(o.room_number, o.kind) for o in overdue}
    # Next Monday noon: the weekly clean is due again everywhere; inactive room 9 never shows.
    clock.advance(dt.timedelta(days=6))
    overdue = service.overdue_rounds(db_session=db, now=clock.now(), settings=settings)
    assert {o.room_number for o in overdue if o.kind == RoundKind.WEEKLY} == {1, 2, 3}


def test_a_new_template_version_leaves_old_rounds_with_their_items(db, rooms, host, now, settings):
    old_round = service.start_round(db_session=db, room_id=rooms[1], kind="daily", actor=host, now=now,
                                    settings=settings)
    in_progress = service.start_round(db_session=db, room_id=rooms[2], kind="daily", actor=host, now=now,
                                      settings=settings)
    answer_all(db, old_round, host, now)
    service.complete_round(db_session=db, hygiene_round=old_round, actor=host, now=now)
    v1 = old_round.template
    v1_texts = [item.text_en for item in v1.items]
    drafts = [service.ItemDraft(i.text_nl, i.text_en, i.supply, i.key) for i in v1.items if i.key != "floor"]
    drafts[0] = service.ItemDraft("Alles ontsmet", "Everything disinfected", False, drafts[0].key)
    drafts.append(service.ItemDraft("Spiegel schoon", "Mirror clean", False, ""))
    v2 = service.save_template(db_session=db, kind="daily", drafts=drafts, by_user_id=host.user_id, now=now)
    db.commit()
    assert (v1.version, v2.version) == (1, 2)
    assert service.current_template(db_session=db, kind="daily", now=now).id == v2.id
    # Saving the same items again makes no new version.
    same = [service.ItemDraft(i.text_nl, i.text_en, i.supply, i.key) for i in v2.items]
    assert service.save_template(db_session=db, kind="daily", drafts=same, by_user_id=host.user_id, now=now).id == v2.id

    db.expire_all()
    reloaded = db.get(HygieneRound, old_round.id)
    assert [item.text_en for item in reloaded.template.items] == v1_texts
    assert "Floor mopped" in v1_texts and reloaded.template.version == 1
    # A round started before the change keeps its version; a new one uses version 2.
    assert db.get(HygieneRound, in_progress.id).template.version == 1
    new_round = service.start_round(db_session=db, room_id=rooms[1], kind="daily", actor=host, now=now,
                                    settings=settings)
    texts = [item.text_en for item in new_round.template.items]
    assert texts[0] == "Everything disinfected" and "Mirror clean" in texts and "Floor mopped" not in texts
    assert [i.key for i in v2.items][0] == v1.items[0].key  # the supply keys stay stable across versions
    # An item of version 2 is not on a version-1 round's checklist.
    with pytest.raises(service.NotFound, match="checklist"):
        service.record_item(db_session=db, hygiene_round=db.get(HygieneRound, in_progress.id),
                            item_id=v2.items[-1].id, result="ok", actor=host, now=now)
    with pytest.raises(service.HygieneError):
        service.save_template(db_session=db, kind="daily", drafts=[service.ItemDraft(" ", "")],
                              by_user_id=host.user_id, now=now)


def test_completing_twice_or_too_early_is_refused_and_changes_nothing(db, rooms, host, now, settings):
    hygiene_round = service.start_round(db_session=db, room_id=rooms[1], kind="turnover", actor=host, now=now,
                                        settings=settings)
    first = hygiene_round.template.items[0]
    service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=first.id, result="ok", actor=host, now=now)
    db.commit()
    with pytest.raises(service.HygieneError, match="still need an answer"):
        service.complete_round(db_session=db, hygiene_round=hygiene_round, actor=host, now=now)
    db.rollback()
    assert db.get(HygieneRound, hygiene_round.id).status == RoundStatus.IN_PROGRESS
    answer_all(db, hygiene_round, host, now)
    service.complete_round(db_session=db, hygiene_round=hygiene_round, actor=host, now=now)
    db.commit()
    with pytest.raises(service.Conflict, match="already completed"):
        service.complete_round(db_session=db, hygiene_round=hygiene_round, actor=host, now=now)
    with pytest.raises(service.Conflict):
        service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=first.id, result="failed",
                            actor=host, now=now, note="late change")
    db.rollback()
    stored = db.get(RoundResult, hygiene_round.results[0].id)
    assert stored.result == ItemResult.OK and stored.note == ""


def test_pause_and_resume_keep_the_answers(db, rooms, host, now, settings):
    hygiene_round = service.start_round(db_session=db, room_id=rooms[3], kind="weekly", actor=host, now=now,
                                        settings=settings)
    item = hygiene_round.template.items[0]
    service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=item.id, result="ok", actor=host, now=now)
    service.pause_round(db_session=db, hygiene_round=hygiene_round, now=now)
    db.commit()
    assert db.get(HygieneRound, hygiene_round.id).status == RoundStatus.PAUSED
    resumed = service.start_round(db_session=db, room_id=rooms[3], kind="weekly", actor=host, now=now,
                                  settings=settings)
    assert resumed.id == hygiene_round.id and resumed.status == RoundStatus.IN_PROGRESS
    assert [r.item_id for r in resumed.results] == [item.id]


def test_low_supplies_make_a_shopping_list_until_restocked(db, rooms, host, now, settings):
    for number in (1, 2):
        hygiene_round = service.start_round(db_session=db, room_id=rooms[number], kind="turnover", actor=host,
                                            now=now, settings=settings)
        for item in hygiene_round.template.items:
            service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=item.id, result="ok", actor=host,
                                now=now, low_stock=item.key in ("condoms", "gloves") and (number == 1 or
                                                                                         item.key == "condoms"))
        linen = next(i for i in hygiene_round.template.items if i.key == "linen")
        with pytest.raises(service.HygieneError, match="supplies"):
            service.record_item(db_session=db, hygiene_round=hygiene_round, item_id=linen.id, result="ok",
                                actor=host, now=now, low_stock=True)
        service.complete_round(db_session=db, hygiene_round=hygiene_round, actor=host, now=now)
    db.commit()
    lines = {line.key: sorted(need.room_id for need in line.needs) for line in service.shopping_list(db_session=db)}
    assert lines == {"condoms": sorted([rooms[1], rooms[2]]), "gloves": [rooms[1]]}
    # Marked low again before restocking: still one line per room.
    again = service.start_round(db_session=db, room_id=rooms[1], kind="daily", actor=host, now=now, settings=settings)
    condoms = next(i for i in again.template.items if i.key == "condoms")
    service.record_item(db_session=db, hygiene_round=again, item_id=condoms.id, result="ok", actor=host, now=now,
                        low_stock=True)
    assert len(next(l for l in service.shopping_list(db_session=db) if l.key == "condoms").needs) == 2
    assert service.restock(db_session=db, by_user_id=host.user_id, now=now, item_key="condoms") == 2
    db.commit()
    assert [line.key for line in service.shopping_list(db_session=db)] == ["gloves"]
    with pytest.raises(service.NotFound):
        service.restock(db_session=db, by_user_id=host.user_id, now=now, item_key="condoms")
    assert db.query(SupplyNeed).filter(SupplyNeed.restocked_at.is_not(None)).count() == 2


def test_monthly_report_counts_on_time_late_missed_and_hides_workers(db, rooms, host, now, settings):
    i18n.set_language("en")
    worker = service.Actor(Role.WORKER, 4242)
    # Monday 16 Nov: room 1 daily on time (09:00), room 2 late (13:00), room 3 missed.
    daily = service.start_round(db_session=db, room_id=rooms[1], kind="daily", actor=host, now=now, settings=settings)
    answer_all(db, daily, host, now)
    service.complete_round(db_session=db, hygiene_round=daily, actor=host, now=now)
    late = now + dt.timedelta(hours=4)
    daily2 = service.start_round(db_session=db, room_id=rooms[2], kind="daily", actor=host, now=late,
                                 settings=settings)
    answer_all(db, daily2, host, late)
    service.complete_round(db_session=db, hygiene_round=daily2, actor=host, now=late)
    turnover = service.start_round(db_session=db, room_id=rooms[3], kind="turnover", actor=host, now=now,
                                   settings=settings)
    items = turnover.template.items
    for item in items:
        service.record_item(db_session=db, hygiene_round=turnover, item_id=item.id,
                            result="failed" if item.key == "sharps" else "ok", note="=cmd|' /C calc'!A0"
                            if item.key == "sharps" else "", actor=worker, now=now)
    service.complete_round(db_session=db, hygiene_round=turnover, actor=worker, now=now)
    db.commit()
    report_time = now + dt.timedelta(hours=8)  # Monday 17:00
    # Before the checklists were installed nothing was due.
    db.execute(update(ChecklistTemplate).values(created_at=dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC)))
    report = service.monthly_report(db_session=db, year=2026, month=11, now=report_time, settings=settings)
    assert min(e.period for e in report.expectations if e.kind == RoundKind.DAILY) == dt.date(2026, 11, 10)
    db.execute(update(ChecklistTemplate).values(created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC)))
    report = service.monthly_report(db_session=db, year=2026, month=11, now=report_time, settings=settings)
    monday = [e for e in report.expectations if e.kind == RoundKind.DAILY and e.period == dt.date(2026, 11, 16)]
    assert {e.room_number: e.outcome for e in monday} == {1: "on_time", 2: "late", 3: "missed"}
    assert report.count(RoundKind.DAILY, "missed") == 3 * 15 + 1  # 1-15 Nov missed everywhere, plus room 3
    assert report.count(RoundKind.WEEKLY, "missed") == 3 * 3  # weeks of 2, 9 and 16 Nov
    assert len(report.rounds) == 3 and len(report.failures) == 1
    turnover_row = next(r for r in report.rounds if r.kind == RoundKind.TURNOVER)
    assert turnover_row.done_by_id is None and service.done_by_label(turnover_row.done_by_role, None) == "Worker"
    assert service.done_by_label("host", host.user_id) == f"Host (user {host.user_id})"
    text = service.report_csv(report, "en")
    assert "Worker" in text and "4242" not in text
    assert "'=cmd" in text  # a note cannot run as a spreadsheet formula
    assert f"Host (user {host.user_id})" in text
