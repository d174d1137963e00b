"""Discord payloads nobody thought of (Hypothesis): any payload of Discord's shape, with fields missing or of any
value, is read into an interaction (missing fields filled in) or refused as not one; what is read translates to a
Request or Action without raising, so ``POST /discord/interactions`` answers or says 400, never 500."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.discord.client import make_client
from adapters.discord.tolerant import read_interaction, with_defaults
from adapters.discord.translate import command_request, component_action, dm_edit
from bot.kernel.settings import Settings

PAYLOADS = Path(__file__).parent / "payloads"
RECORDED = {
    name: json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    for name in (
        "slash_service_guild",
        "slash_service_dm",
        "button_providers",
        "docs_command_no_attachment_limit",
        "docs_component_press",
        "docs_modal_submit",
    )
}
STATE = make_client(Settings())._connection
SNOWFLAKE = st.integers(min_value=0, max_value=2**64).map(str)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | SNOWFLAKE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
REMOVE = object()


@st.composite
def payloads(draw: st.DrawFn) -> dict[str, Any]:
    """A recorded payload with some top-level fields, and some of its member's or user's, changed or removed."""
    base: dict[str, Any] = json.loads(json.dumps(RECORDED[draw(st.sampled_from(sorted(RECORDED)))]))
    for key in draw(st.lists(st.sampled_from(sorted(base)), max_size=4, unique=True)):
        value = draw(st.one_of(JSON, st.just(REMOVE)))
        if value is REMOVE:
            base.pop(key)
        else:
            base[key] = value
    for holder in ("member", "user"):
        inner = base.get(holder)
        if isinstance(inner, dict) and inner and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(inner)))
            value = draw(st.one_of(JSON, st.just(REMOVE)))
            if value is REMOVE:
                inner.pop(key)
            else:
                inner[key] = value
    return base


@given(payloads())
def test_any_interaction_is_read_and_translated_or_refused(payload: dict[str, Any]) -> None:
    interaction = read_interaction(payload, STATE, application_id="1200000000000000002")
    if interaction is None:
        return
    request = command_request(interaction, command="cos-service", text="legal", admins=())
    assert isinstance(request.user, str) and isinstance(request.workspace, str)
    action = component_action(interaction, admins=())
    assert action is None or isinstance(action.value, str)


@given(payloads())
def test_filling_defaults_never_overwrites_what_was_sent(payload: dict[str, Any]) -> None:
    filled = with_defaults(payload)
    for key, value in payload.items():
        if key not in ("user", "member", "message"):
            assert filled[key] == value
    assert filled["version"] == payload.get("version", 1)


@given(st.dictionaries(st.sampled_from(["id", "author", "content", "guild_id"]), JSON), st.none() | st.integers())
def test_any_message_edit_is_read_or_ignored(data: dict[str, Any], guild_id: int | None) -> None:
    edited = dm_edit(data, guild_id=guild_id, me_id=1100000000000000001)
    assert edited is None or all(isinstance(part, str) for part in edited)
