"""The demo's own texts are in the demo's language (Dutch) and fit any season."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from location_ops import demo

#: Words that only English uses (Dutch shares "is", "in", "me", "of", …), and Dutch words a Dutch sentence rarely lacks.
ENGLISH = {"the", "and", "to", "on", "you", "your", "with", "for", "shift", "room", "button", "welcome", "quiet"}
DUTCH = {"de", "het", "een", "en", "je", "van", "op", "voor", "naar", "bij", "met", "kamer", "knop", "dienst"}
#: Feasts and seasons: an announcement "Easter lunch" in December is what this guards against.
SEASONAL = re.compile(r"easter|christmas|xmas|pasen|paas|kerst|sinterklaas|oud en nieuw|new year|halloween|"
                      r"carnaval|koningsdag|summer|winter|spring|autumn|zomer|lente|herfst", re.IGNORECASE)
TEXTS = {"announcements": ["title", "body"], "house_rules": ["text"], "reception_log_entries": ["text"],
         "caseworker_profiles": ["introduction"], "devices": ["label"]}


def demo_texts(db_session) -> list[str]:
    found = []
    for table, columns in TEXTS.items():
        for row in db_session.execute(text(f"SELECT {', '.join(columns)} FROM {table}")):  # noqa: S608 (fixed names)
            found += [value for value in row if isinstance(value, str) and value.strip()]
    return found


def check(value: str) -> list[str]:
    words = set(re.findall(r"[^\W\d_]+", value.lower()))
    problems = [f"English {sorted(words & ENGLISH)}"] if words & ENGLISH else []
    if len(words) > 2 and not words & DUTCH:
        problems.append("no Dutch word")
    if SEASONAL.search(value):
        problems.append("seasonal")
    return problems


def test_the_check_itself_can_fail():
    assert check("Easter lunch on Thursday") == ["English ['on']", "no Dutch word", "seasonal"]
    assert "seasonal" in check("Kerstlunch op donderdag")
    assert check("Quiet shift. The shower in room 2 drips.")[0].startswith("English")
    assert check("Samen lunchen op donderdag") == []


@pytest.mark.usefixtures("client")
def test_demo_texts_are_dutch_and_season_neutral(app, settings):
    with app.state.sessionmaker() as db_session:
        demo.seed(db_session=db_session, settings=settings)
        texts = demo_texts(db_session)
    assert len(texts) >= 8, texts  # rules, announcement, handover, delivery, introduction, one label per room
    problems = {value: check(value) for value in texts if check(value)}
    assert not problems, problems
