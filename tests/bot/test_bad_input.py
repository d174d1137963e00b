"""Bad input gets a clear reply, stores nothing, never crashes, leaks or pings."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql

from bot.kernel.reply import to_text
from bot.kernel.safety import neutralise_mentions

MASS = re.compile(r"@(everyone|here|channel)\b|<!(channel|here|everyone)|<!subteam", re.I)
NASTY = [
    "a" * 20_000,
    "legal\x00\x01\x02\x1b[31m",
    "\u202egal\u202c le\u2066gdpr\u2069",
    "🔥💼 legal 🚀",
    "'; DROP TABLE workspace; --",
    'legal" OR 1=1 --',
    "@everyone legal",
    "@here please",
    "<!channel> gdpr",
    "<!here|here> audit",
    "<!everyone>",
    "<!subteam^S123|@team> legal",
    "<@U123> <@&987654> legal",
    "https://evil.example/phish?x=<script>alert(1)</script>",
    "{{7*7}} ${jndi:ldap://x}",
    "",
    "   ",
]


def assert_safe(reply) -> None:
    text = to_text(reply)
    assert text.strip(), "a reply is never empty"
    assert not MASS.search(text), text
    assert "Traceback" not in text and 'File "' not in text


async def test_nasty_inputs_get_clear_replies(app, harness):
    for command in ("/cos-service", "/cos-risk"):
        for payload in NASTY:
            reply = await harness.say(f"{command} {payload}")
            assert_safe(reply)
    long_reply = await harness.say("/cos-service " + "a" * 20_000)
    assert "characters" in to_text(long_reply) and long_reply.error
    async with app.db.session() as session:
        for table in ("workspace", "processed_event"):
            assert (await session.execute(sql(f"select count(*) from {table}"))).scalar() == 0


async def test_echoed_text_cannot_ping(harness):
    reply = await harness.say("/cos-service @everyone <!channel> zzqxv")
    text = to_text(reply)
    assert "everyone" in text  # shown, but inert
    assert not MASS.search(text)


def test_neutralise_mentions():
    assert not MASS.search(neutralise_mentions("hi @everyone and @here, <!channel> <!here|x> <!subteam^S1|@t>"))
    assert neutralise_mentions("mail me at a@b.com") == "mail me at a@b.com"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    command=st.sampled_from(["cos-service", "cos-risk", "message"]),
    text=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from(
                [
                    "legal",
                    "@everyone",
                    "<!here>",
                    "gdpr",
                    "\x00",
                    "\u202e",
                    "providers",
                    "milestones",
                    "cases",
                    "help",
                    "'",
                    "%",
                    "<@U1>",
                    "🔥",
                    "\n",
                ]
            ),
            max_size=12,
        ).map(" ".join),
    ),
)
async def test_router_never_crashes_or_pings(app, command, text):
    from bot.kernel.request import Request

    reply = await app.router.handle(
        Request(
            platform="console",
            workspace="T1",
            channel="C1",
            user="U1",
            command=command,
            text=text,
            is_dm=command == "message",
        )
    )
    assert_safe(reply)
    assert not (reply.error or "").startswith("internal error")


async def test_a_reply_that_could_not_do_what_was_asked_answers_nothing_from_the_overview(harness):
    # "back" is the end-of-time-off command: a question that starts with it gets the command's usage, which is
    # no answer from the overview (``matched`` is what ``ask --json`` and the honest-answer figures count).
    reply = await harness.say("/cos-service back pain from this chair is killing me, standing desk recs")
    assert reply.error is not None and "/cos-service back" in to_text(reply)
    assert reply.matched is False
    assert (await harness.say("/cos-service legal")).matched is True
