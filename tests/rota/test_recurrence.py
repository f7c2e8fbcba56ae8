"""Weekly visits with exceptions, in local time across the DST changes."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import TypeAdapter, ValidationError

from location_ops.accounts.models import User
from location_ops.clock import LOCAL_TZ, clock
from location_ops.forms import Week
from location_ops.rota import service
from location_ops.rota.models import Visit

UTC = dt.UTC


def _visit(db, make_user, weekday: int, start=dt.time(14), end=dt.time(16), name="Sanne") -> tuple[User, Visit]:
    caseworker = db.get(User, make_user("caseworker").id)
    service.update_profile(db_session=db, user=caseworker, display_name=name, introduction="", languages=["nl"],
                           organisation="Belle")
    visit = service.create_visit(db_session=db, actor=caseworker, caseworker_id=caseworker.id, weekday=weekday,
                                 starts_at=start, ends_at=end, valid_from=dt.date(2026, 1, 1), backdate=True)
    db.commit()
    return caseworker, visit


def test_a_14_00_visit_stays_14_00_local_across_the_october_change(db, make_user):
    clock.freeze(dt.datetime(2026, 10, 1, 8, tzinfo=UTC))
    _cw, visit = _visit(db, make_user, weekday=6)  # Sundays, the day the clocks go back (25 Oct 2026)
    found = service.occurrences(db_session=db, first=dt.date(2026, 10, 18), last=dt.date(2026, 11, 1))
    assert [o.day for o in found] == [dt.date(2026, 10, 18), dt.date(2026, 10, 25), dt.date(2026, 11, 1)]
    assert [o.starts_at for o in found] == [
        dt.datetime(2026, 10, 18, 12, tzinfo=UTC),  # CEST, UTC+2
        dt.datetime(2026, 10, 25, 13, tzinfo=UTC),  # CET from 03:00 that morning
        dt.datetime(2026, 11, 1, 13, tzinfo=UTC),
    ]
    assert all(o.starts_at.astimezone(LOCAL_TZ).time() == dt.time(14) for o in found)
    assert all(o.ends_at - o.starts_at == dt.timedelta(hours=2) for o in found)


def test_a_14_00_visit_stays_14_00_local_across_the_march_change(db, make_user):
    clock.freeze(dt.datetime(2027, 3, 1, 8, tzinfo=UTC))
    _cw, visit = _visit(db, make_user, weekday=6)  # last Sunday of March 2027 is the 28th
    found = service.occurrences(db_session=db, first=dt.date(2027, 3, 21), last=dt.date(2027, 3, 28))
    assert [o.starts_at for o in found] == [
        dt.datetime(2027, 3, 21, 13, tzinfo=UTC),  # CET, UTC+1
        dt.datetime(2027, 3, 28, 12, tzinfo=UTC),  # CEST from 02:00 that morning
    ]
    assert [o.window for o in found] == ["14:00–16:00", "14:00–16:00"]


def test_exceptions_cancel_move_and_add_across_dst(db, make_user):
    clock.freeze(dt.datetime(2026, 10, 1, 8, tzinfo=UTC))
    caseworker, visit = _visit(db, make_user, weekday=4)  # Fridays
    service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="cancelled",
                       on_date=dt.date(2026, 10, 16), reason="Training day")
    # Friday 23 October (summer time) moves to Monday 26 October (winter time), 15:00–17:00.
    service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="moved",
                       on_date=dt.date(2026, 10, 23), new_date=dt.date(2026, 10, 26),
                       new_starts_at=dt.time(15), new_ends_at=dt.time(17), reason="Holiday")
    service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="extra",
                       on_date=dt.date(2026, 10, 28), reason="Easter lunch")
    db.commit()

    week_42 = service.week_of(db_session=db, monday=dt.date(2026, 10, 12))
    assert [(o.day, o.status, o.reason) for o in week_42] == [(dt.date(2026, 10, 16), "cancelled", "Training day")]

    week_43 = service.week_of(db_session=db, monday=dt.date(2026, 10, 19))
    assert week_43 == [], "the Friday of week 43 moved into week 44"

    week_44 = service.week_of(db_session=db, monday=dt.date(2026, 10, 26))
    assert [(o.on_date, o.day, o.status, o.window) for o in week_44] == [
        (dt.date(2026, 10, 23), dt.date(2026, 10, 26), "moved", "15:00–17:00"),
        (dt.date(2026, 10, 28), dt.date(2026, 10, 28), "extra", "14:00–16:00"),
        (dt.date(2026, 10, 30), dt.date(2026, 10, 30), "regular", "14:00–16:00"),
    ]
    assert week_44[0].starts_at == dt.datetime(2026, 10, 26, 14, tzinfo=UTC)  # 15:00 CET
    assert week_44[1].starts_at == dt.datetime(2026, 10, 28, 13, tzinfo=UTC)


def test_changes_that_make_no_sense_are_refused(db, make_user):
    clock.freeze(dt.datetime(2026, 10, 1, 8, tzinfo=UTC))
    caseworker, visit = _visit(db, make_user, weekday=4)
    with pytest.raises(service.RotaError, match="no regular visit"):
        service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="cancelled",
                           on_date=dt.date(2026, 10, 15))
    with pytest.raises(service.RotaError, match="already a regular visit"):
        service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="extra",
                           on_date=dt.date(2026, 10, 16))
    with pytest.raises(service.RotaError, match="end after it starts"):
        service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="moved",
                           on_date=dt.date(2026, 10, 16), new_starts_at=dt.time(17), new_ends_at=dt.time(15))
    with pytest.raises(service.RotaError, match="passed"):
        service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="cancelled",
                           on_date=dt.date(2026, 9, 25))


def test_visits_on_gives_names_and_times_and_leaves_out_cancelled_visits(db, make_user):
    clock.freeze(dt.datetime(2026, 10, 1, 8, tzinfo=UTC))
    caseworker, visit = _visit(db, make_user, weekday=2, name="Sanne")  # Wednesdays
    _other, other_visit = _visit(db, make_user, weekday=2, start=dt.time(10), end=dt.time(12), name="Joost")
    service.add_change(db_session=db, actor=caseworker, visit_id=visit.id, kind="cancelled",
                       on_date=dt.date(2026, 10, 14), reason="ill")
    db.commit()
    today = service.visits_on(db_session=db, day=dt.date(2026, 10, 7))
    assert [f"{o.caseworker_name} {o.window}" for o in today] == ["Joost 10:00–12:00", "Sanne 14:00–16:00"]
    cancelled_day = service.visits_on(db_session=db, day=dt.date(2026, 10, 14))
    assert [o.caseworker_name for o in cancelled_day] == ["Joost"]
    assert [o.status for o in service.visits_on(db_session=db, day=dt.date(2026, 10, 14),
                                                include_cancelled=True)] == ["regular", "cancelled"]
    assert service.visits_on(db_session=db, day=dt.date(2026, 10, 8)) == []


@pytest.mark.parametrize("week", ["2026-W54", "2026-48", "W48", "2026-W00", "abcd-Wxx", "", "2027-W53", "²026-W01"])
def test_a_bad_week_is_refused_by_the_declared_type(week):
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Week).validate_python(week)
    assert caught.value.errors()[0]["type"] == "week"


def test_iso_week_parsing_and_labels():
    assert TypeAdapter(Week).validate_python("2026-W53") == dt.date(2026, 12, 28)
    assert service.week_label(dt.date(2027, 1, 1)) == "2026-W53"


def test_stopping_a_visit_removes_coming_dates_and_their_talk_requests(db, make_user):
    clock.freeze(dt.datetime(2026, 10, 14, 8, tzinfo=UTC))  # a Wednesday
    caseworker, visit = _visit(db, make_user, weekday=4)
    worker = db.get(User, make_user("worker").id)
    talk = service.create_talk_request(db_session=db, worker=worker, visit_id=visit.id,
                                       on_date=dt.date(2026, 10, 16), topics=["health"])
    db.commit()
    talk_id = talk.id
    service.end_visit(db_session=db, actor=caseworker, visit_id=visit.id)
    db.commit()
    assert service.occurrences(db_session=db, first=dt.date(2026, 10, 14), last=dt.date(2026, 11, 30)) == []
    assert [o.day for o in service.occurrences(db_session=db, first=dt.date(2026, 10, 5),
                                               last=dt.date(2026, 10, 13))] == [dt.date(2026, 10, 9)]
    assert service.talk_requests_for(db_session=db, user=worker) == []
    from location_ops.rota.models import TalkRequest

    assert db.get(TalkRequest, talk_id) is None
    db.rollback()
