"""Team commands' arguments nobody thought of (Hypothesis), through the router with a real SQLite app: whatever
follows ``away``, ``digest``, ``snooze``, ``teach`` or ``risk accept``, the reply is clear (never empty, never
a traceback, never a mass mention), and a refused command changes nothing in the database.

One app per test, shared by its examples (a refused command leaves it as it was; an accepted one may add a
schedule or an absence, which later examples only see as more state)."""

from __future__ import annotations

import re

from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from bot.app import App
from bot.kernel.reply import Reply, to_text
from tests.conftest import Harness

MASS = re.compile(r"@(everyone|here|channel)\b|<!(channel|here|everyone)|<!subteam", re.I)
# Bookkeeping written behind answers (question log, votes): not the state a command changes.
_BOOKKEEPING = ("alembic_version", "knowledge_question", "knowledge_feedback", "question_log")

NASTY = st.sampled_from(
    ["@everyone", "<!here>", "<!channel>", "\x00", "\u202e", "'; drop table x; --", "🔥", "..", "->"]
)
WORD = st.one_of(st.text(max_size=12), NASTY, st.from_regex(r"[a-z]{1,10}", fullmatch=True))
DATE = st.one_of(st.dates().map(str), st.from_regex(r"\d{1,4}-\d{1,2}-\d{1,3}", fullmatch=True), WORD)
CLOCK = st.one_of(
    st.tuples(st.integers(-3, 30), st.integers(-5, 75)).map(lambda t: f"{t[0]:02d}:{t[1]:02d}"),
    st.from_regex(r"\d{1,2}(:\d{1,2})?\s?(am|pm)?", fullmatch=True),
    WORD,
)
ZONE = st.one_of(st.sampled_from(["Europe/Berlin", "UTC", "America/New_York", "Mars/Base", "utc+2", ""]), WORD)
DAY = st.one_of(st.sampled_from(["monday", "friday", "sun", "weekday", "funday", ""]), WORD)
AMOUNT = st.one_of(
    st.tuples(st.integers(-2, 1000), st.sampled_from(["h", "d", "w", "m", "", " hours", "x"])).map(
        lambda t: f"{t[0]}{t[1]}"
    ),
    WORD,
)
TOPIC = st.one_of(st.sampled_from(["area.comprehensive-legal-services", "legal", "Comprehensive Legal Services"]), WORD)


def _line(*parts: str) -> str:
    return " ".join(parts)


COMMANDS = {
    "away": st.one_of(
        st.builds(lambda a, b: f"/cos-service away {a}..{b}", DATE, DATE),
        st.builds(lambda a, b, w: f"/cos-service away {a} {w} {b}", DATE, DATE, WORD),
    ),
    "digest": st.builds(
        lambda freq, day, at, zone: _line("/cos-service digest", freq, day, at, zone),
        st.one_of(st.sampled_from(["daily", "weekly", "monthly", "off"]), WORD),
        DAY,
        CLOCK,
        ZONE,
    ),
    "snooze": st.builds(lambda amount: f"/cos-service snooze {amount}", AMOUNT),
    "teach": st.builds(lambda phrase, topic: f"/cos-service teach {phrase} -> {topic}", WORD, TOPIC),
    "risk accept": st.builds(
        lambda what, until, why: f"/cos-risk accept {what} until {until} because {why}",
        st.one_of(st.sampled_from(["transfer pricing", "Compliance Risk"]), WORD),
        DATE,
        WORD,
    ),
}


async def _snapshot(app: App) -> dict[str, int]:
    async with app.db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        counts = {}
        for table in sorted(tables):
            if table not in _BOOKKEEPING:
                counts[table] = int((await conn.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar_one())
    return counts


def _assert_clear(reply: Reply) -> None:
    shown = to_text(reply)
    assert shown.strip(), "a reply is never empty"
    assert not MASS.search(shown), shown
    assert "Traceback" not in shown and 'File "' not in shown
    assert not (reply.error or "").startswith("internal error"), reply.error


def _property(name: str):  # type: ignore[no-untyped-def]
    @given(line=COMMANDS[name])
    async def check(app: App, admin: Harness, line: str) -> None:
        before = await _snapshot(app)
        reply = await admin.say(line)
        _assert_clear(reply)
        event("refused" if reply.error else "accepted")
        if reply.error:
            assert await _snapshot(app) == before, f"{line!r} was refused but changed the database"

    return check


test_away_arguments = _property("away")
test_digest_arguments = _property("digest")
test_snooze_arguments = _property("snooze")
test_teach_arguments = _property("teach")
test_risk_accept_arguments = _property("risk accept")
