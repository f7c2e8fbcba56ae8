"""The data page (register of processing), the worker's privacy notice and the audit viewer."""

from __future__ import annotations

import datetime as dt
import re

from location_ops.accounts.models import User
from location_ops.clock import clock
from location_ops.i18n import set_language, translations
from location_ops.privacy import declarations
from location_ops.privacy.service import AUDIT_PAGE_SIZE, audit
from location_ops.reception.models import EntryKind, LogEntry


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr id="data-{key}">(.*?)</tr>', html, re.S)
    assert match, key
    return match.group(1)


def test_the_data_page_lists_every_rule_with_who_sees_it_how_long_and_the_count(client, login_as, db):
    login_as("operator")
    now = clock.now()
    db.add_all([LogEntry(at=now, kind=EntryKind.VISITOR_IN), LogEntry(at=now, kind=EntryKind.VISITOR_OUT),
                LogEntry(at=now, kind=EntryKind.NOTE, text="x")])
    db.commit()
    html = client.get("/admin/data").text
    for rule in declarations.load():
        row = _row(html, rule.key.replace(".", "-"))
        assert rule.holds.replace("'", "&#39;") in row
    visitors = _row(html, "reception_log_entries-visitors")
    assert "30 days" in visitors and "host, operator" in visitors and visitors.rstrip().endswith(">2</td>")
    assert _row(html, "reception_log_entries-other").rstrip().endswith(">1</td>")
    assert "7 years" in _row(html, "bookings") and "730 days" in _row(html, "hygiene_rounds")
    assert "the text is blanked" in _row(html, "hygiene_round_results-notes")
    assert "as long as the account exists" in _row(html, "users")
    assert "as long as what it belongs to (365 days)" in _row(html, "alarm_events")
    assert "@media print" in client.get("/static/privacy.css").text


def test_only_operators_reach_the_data_page(client, login_as):
    login_as("host")
    assert client.get("/admin/data").status_code in (403, 404)


def test_the_privacy_notice_is_linked_from_the_worker_s_account_and_speaks_her_language(client, login_as, db):
    worker = login_as("worker")
    assert 'href="/privacy"' in client.get("/account").text
    html = client.get("/privacy").text
    noticed = [rule for rule in declarations.load() if rule.notice]
    assert {"bookings", "payments", "talk_requests", "alarms", "reception_log_entries.other"} <= {
        rule.key for rule in noticed}
    for rule in noticed:
        assert rule.notice.replace("'", "&#39;") in html
    assert "Alarms you raised" in html and "7 years" in html
    db.get(User, worker.id).language = "nl"
    db.commit()
    dutch = client.get("/privacy").text
    set_language("nl")
    assert translations("nl").gettext("What is kept about you") in dutch
    assert translations("nl").gettext(declarations.rule_for("bookings").notice) in dutch
    assert "7 jaar" in dutch


def _events(db, *, actor: int | None, action: str, at: dt.datetime, count: int = 1) -> None:
    clock.freeze(at)
    for _ in range(count):
        audit(db_session=db, action=action, actor_id=actor, target_type="user", target_id=actor)
    db.commit()


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'data-action="([^"]+)"', body)


def test_the_audit_viewer_filters_by_action_person_and_day_and_pages(client, login_as, make_user, db):
    operator = login_as("operator")
    roos = make_user("worker", "Roos")
    day = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
    _events(db, actor=roos.id, action="account.export", at=day)
    _events(db, actor=roos.id, action="login.success", at=day - dt.timedelta(days=1))
    _events(db, actor=None, action="login.failure", at=day, count=AUDIT_PAGE_SIZE + 5)
    clock.reset()

    assert _rows(client.get("/admin/audit", params={"action": "account.export"}).text) == ["account.export"]
    by_roos = client.get("/admin/audit", params={"person": roos.id}).text
    # What she did, and what was done to her account (its creation by the operator).
    assert sorted(_rows(by_roos)) == ["account.export", "login.success", "user.create"] and "Roos" in by_roos
    on_day = _rows(client.get("/admin/audit", params={"day": "2026-03-09"}).text)
    assert on_day == ["login.success"]
    both = client.get("/admin/audit", params={"person": roos.id, "day": "2026-03-10", "action": ""}).text
    assert _rows(both) == ["account.export"]

    first = client.get("/admin/audit", params={"action": "login.failure"}).text
    assert len(_rows(first)) == AUDIT_PAGE_SIZE and "Page 1 of 2" in first and "page=2" in first
    second = client.get("/admin/audit", params={"action": "login.failure", "page": 2}).text
    assert len(_rows(second)) == 5
    assert operator.id


def test_the_audit_viewer_refuses_bad_filters_with_a_sentence(client, login_as):
    login_as("operator")
    for params in ({"day": "1999-12-31"}, {"day": "yesterday"}, {"person": "²"}, {"page": "0"}):
        response = client.get("/admin/audit", params=params)
        assert response.status_code == 400, params


def test_every_audited_action_has_a_label():
    """The audit viewer names each action in the reader's language: an action audited in the code without a
    label would show as its code."""
    import ast
    from pathlib import Path

    from location_ops.privacy.service import ACTION_LABELS

    package = Path(__file__).resolve().parents[2] / "location_ops"
    audited = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "audit":
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        audited.add(keyword.value.value)
    assert audited, "no audit call found: the walk is broken"
    assert sorted(audited - ACTION_LABELS.keys()) == []
