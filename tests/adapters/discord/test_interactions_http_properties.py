"""``POST /discord/interactions`` under requests nobody thought of (Hypothesis), over HTTP to the real route.

Correctly signed bodies built from interaction-like JSON (types 1-5 from recorded payloads, with fields
missing, extra or of the wrong type, odd locales, huge strings, nested junk, mass mentions in the options)
always get a JSON reply or a clear 4xx: never a 500, never a traceback in the body or the log, and an
answer never pings a crowd. Unsigned and forged requests always get 401 and run nothing.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from nacl.signing import SigningKey

from tests.adapters.discord.fake_discord import signed_headers
from tests.adapters.discord.test_interactions_http import KEY, Endpoint, endpoint  # noqa: F401 - the fixture

PAYLOADS = Path(__file__).parent / "payloads"
_RECORDED = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(PAYLOADS.glob("*.json"))]
BY_TYPE: dict[int, list[dict[str, Any]]] = {
    kind: [p for p in _RECORDED if p.get("type") == kind and "author" not in p] for kind in (1, 2, 3, 4, 5)
}
assert all(BY_TYPE.values()), {k: len(v) for k, v in BY_TYPE.items()}

MASS = re.compile(r"@(everyone|here)\b|<@&\d+>", re.I)  # a crowd ping left live in what the bot sends
CROWD = ["@everyone", "@here", "<@&1234567890>", "<@1500000000000000005>", "<!channel>", "@everyone @here <@&1>"]
WORDS = [
    "legal",
    "gdpr",
    "SOC 2",
    "providers legal",
    "who can run our SOC 2 audit",
    "overview",
    "milestones",
    "help",
    "帮助",
    "语言 zh",
    "teach shiny -> legal",
    "stage early",
    "digest now",
    "schedules",
    "stats",
    "gaps",
    "forget me",
    "language zh",
    "register",
    "review gdpr high",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
HUGE = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["x", "法", "🤖", "@everyone ", "\u200b", "a\n"]), st.integers(1_000, 60_000)
)
TEXT = st.one_of(
    st.sampled_from(WORDS),
    st.builds(lambda crowd, word: f"{crowd} {word}", st.sampled_from(CROWD), st.sampled_from(WORDS)),
    st.text(max_size=40),
    HUGE,
)
VALUE = st.one_of(TEXT, TEXT, JSON)  # an option's value: mostly text, sometimes anything
LOCALE = st.one_of(
    st.sampled_from(["en-US", "zh-CN", "zh-TW", "pt-BR", "de", "xx", "", "EN-us", "zh", "ko", "🤖", "x" * 500]),
    JSON,
)
CUSTOM_ID = st.one_of(
    st.sampled_from(
        [
            "cos:providers:legal",
            "cos:open:legal",
            "cos:related:legal",
            "cos:share:",
            "cos:feedback-up:1",
            "cos:feedback-down:1",
            "cos:feedback-reason:0",
            "cos:page:1:abc",
            "cos:",
            "cos",
            "",
        ]
    ),
    st.builds(
        lambda p, rest: f"cos:{p}:{rest}",
        st.sampled_from(["open", "providers", "page", "teach", "gaps"]),
        st.text(max_size=30),
    ),
    st.text(max_size=120),
    JSON,
)
RARELY = st.sampled_from([*[False] * 5, True, *[False] * 4])  # about one time in ten
FRESH = "fresh"  # the test gives the interaction a new snowflake: a repeated id is its own test (409)
ID = st.one_of(st.integers(0, 2**64).map(str), JSON)  # ids Discord never sends


@st.composite
def options(draw: st.DrawFn, *, autocomplete: bool) -> Any:
    """A command's options: the query as Discord sends it, or several, nested, of the wrong types."""
    if draw(RARELY):
        return draw(JSON)
    made = []
    for _ in range(draw(st.integers(0, 3))):
        option: dict[str, Any] = {
            "name": draw(st.one_of(st.just("query"), st.just("query"), st.text(max_size=10))),
            "type": draw(st.one_of(st.just(3), st.just(3), st.sampled_from([1, 2, 4, 5, 10]), JSON)),
            "value": draw(VALUE),
        }
        if autocomplete or draw(st.booleans()):
            option["focused"] = draw(st.one_of(st.booleans(), JSON))
        if option["type"] in (1, 2) and draw(st.booleans()):  # a sub-command (group) carrying options itself
            option["options"] = draw(options(autocomplete=autocomplete))
            option.pop("value")
        made.append(option)
    return made


def _fiddle(draw: st.DrawFn, holder: dict[str, Any]) -> None:
    """Remove a field, give one a value of any type, or add one."""
    how = draw(st.sampled_from(["remove", "change", "add"]))
    if how == "add" or not holder:
        holder[draw(st.text(max_size=12))] = draw(JSON)
        return
    key = draw(st.sampled_from(sorted(set(holder) - {"id", "type"}) or [""]))
    if how == "remove":
        holder.pop(key)
    else:
        holder[key] = draw(JSON)


@st.composite
def interactions(draw: st.DrawFn) -> dict[str, Any]:
    """An interaction of type 1-5, from a recorded one, with its contents drawn and some fields fiddled with."""
    kind = draw(st.sampled_from(sorted(BY_TYPE)))
    payload: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(BY_TYPE[kind])))
    payload["id"] = draw(ID) if draw(RARELY) else FRESH
    payload["token"] = draw(st.one_of(st.just("tok"), st.text(max_size=20), JSON))
    payload["locale"] = draw(LOCALE)
    if draw(st.booleans()):
        payload["guild_locale"] = draw(LOCALE)
    data = payload.get("data")
    if isinstance(data, dict):
        if kind in (2, 4):
            data["name"] = draw(st.one_of(st.sampled_from(["cos-service", "cos-risk"]), st.text(max_size=20)))
            data["options"] = draw(options(autocomplete=kind == 4))
        elif kind == 3:
            data["custom_id"] = draw(CUSTOM_ID)
            data["component_type"] = draw(st.one_of(st.just(2), st.sampled_from([3, 4, 99]), JSON))
        elif kind == 5:
            data["custom_id"] = draw(CUSTOM_ID)
            for row in data.get("components") or []:
                inner = row.get("component") if isinstance(row, dict) else None
                if isinstance(inner, dict) and "value" in inner:
                    inner["value"] = draw(VALUE)
    holders = [payload] + [
        h
        for h in (data, payload.get("member"), (payload.get("member") or {}).get("user"), payload.get("user"))
        if isinstance(h, dict)
    ]
    for _ in range(draw(st.integers(0, 3))):
        _fiddle(draw, draw(st.sampled_from(holders)))
    if draw(RARELY):
        payload["type"] = draw(JSON)  # the type itself wrong
    return payload


_SNOWFLAKES = itertools.count(1_800_000_000_000_000_000)


@contextmanager
def _errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """The records at ERROR or with a traceback logged inside the block."""
    start = len(caplog.records)
    found: list[logging.LogRecord] = []
    yield found
    found.extend(r for r in caplog.records[start:] if r.levelno >= logging.ERROR or r.exc_info)


async def _post(target: Endpoint, body: bytes, headers: dict[str, str]) -> tuple[int, str, Any]:
    async with target.http.post(target.url, data=body, headers=headers) as response:
        text = await response.text()
        assert response.content_type == "application/json", (response.status, response.content_type, text[:300])
        return response.status, text, json.loads(text)


def _sent_text(answer: dict[str, Any]) -> str:
    """What a message answer would show: its content and embeds (not its buttons' ids)."""
    data = answer.get("data") or {}
    return json.dumps([data.get("content"), data.get("embeds")], ensure_ascii=False)


@given(payload=interactions())
async def test_signed_interactions_get_json_or_a_clear_4xx_never_500(
    endpoint: Endpoint,  # noqa: F811 - the imported fixture
    caplog: pytest.LogCaptureFixture,
    payload: dict[str, Any],
) -> None:
    endpoint.gate.set()  # the fixture's slow test command, should a query name it, answers at once
    caplog.set_level(logging.WARNING)
    if payload.get("id") == FRESH:
        payload = {**payload, "id": str(next(_SNOWFLAKES))}
    body = json.dumps(payload, ensure_ascii=False).encode()
    if len(body) > 1024 * 1024:
        body = body[: 1024 * 1024]  # bigger ones get 413 from aiohttp itself (its own test)
    with _errors_logged(caplog) as errors:
        status, text, answer = await _post(endpoint, body, signed_headers(KEY, body))
        await endpoint.handler.close()  # the work behind the answer has finished (or deferred and followed up)
    event(f"HTTP {status}" + (f" type {answer.get('type')}" if status == 200 else f" {answer.get('error')}"))
    assert status in (200, 400, 409), (status, text[:500])
    assert "Traceback" not in text and 'File "' not in text
    assert isinstance(answer, dict)
    if status == 200:
        assert answer.get("type") in (1, 4, 5, 6, 7, 8, 9), answer
        if answer["type"] == 1:
            assert payload["type"] == 1
        if answer["type"] in (4, 7) and answer.get("data"):
            assert answer["data"].get("allowed_mentions") == {"parse": []}, answer["data"]
            assert not MASS.search(_sent_text(answer)), _sent_text(answer)[:500]
    else:
        assert isinstance(answer.get("error"), str) and answer["error"], answer
    assert errors == [], [(r.name, r.getMessage()) for r in errors]


FORGERIES = ["none", "other key", "other timestamp", "no timestamp", "not hex", "truncated", "other body"]


@given(
    payload=interactions(),
    raw=st.one_of(st.none(), st.binary(max_size=200)),
    forgery=st.sampled_from(FORGERIES),
)
async def test_unsigned_or_forged_requests_get_401_and_run_nothing(
    endpoint: Endpoint,  # noqa: F811 - the imported fixture
    payload: dict[str, Any],
    raw: bytes | None,
    forgery: str,
) -> None:
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()[: 1024 * 1024]
    good = signed_headers(KEY, body)
    headers = {
        "none": {"Content-Type": "application/json"},
        "other key": signed_headers(SigningKey.generate(), body),
        "other timestamp": {**good, "X-Signature-Timestamp": "1772438401"},
        "no timestamp": {k: v for k, v in good.items() if k != "X-Signature-Timestamp"},
        "not hex": {**good, "X-Signature-Ed25519": "zz" * 64},
        "truncated": {**good, "X-Signature-Ed25519": good["X-Signature-Ed25519"][:-2]},
        "other body": signed_headers(KEY, body + b" "),
    }[forgery]
    rows, posts = await endpoint.rows(), len(endpoint.fake.requests("POST"))
    status, _, answer = await _post(endpoint, body, headers)
    assert (status, answer) == (401, {"error": "invalid request signature"})
    assert not endpoint.handler._tasks  # nothing started
    assert await endpoint.rows() == rows and len(endpoint.fake.requests("POST")) == posts
