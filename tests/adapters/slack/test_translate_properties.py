"""Slack payloads nobody thought of (Hypothesis): the translators turn any payload of Slack's shape, with any
values in its fields, into a Request or Action (or None) and never raise."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.slack.translate import (
    block_action_to_action,
    command_to_request,
    dm_edit,
    dm_to_request,
    is_user_dm,
    split_workspace,
    workspace_key,
)
from tests.adapters.slack.fake_slack import payload

# Any JSON value, small.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def mutated(base: dict[str, Any], keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` (a recorded payload) with some of ``keys`` replaced by any JSON value, or removed."""
    changes = st.dictionaries(st.sampled_from(keys), st.one_of(JSON, st.just(KeyError)), max_size=len(keys))

    def apply(edit: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in edit.items():
            if value is KeyError:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    return changes.map(apply)


COMMAND = payload("slash_command.json")
EVENT = payload("event_message_im.json")
EDIT = payload("event_message_changed.json")
ACTIONS = payload("block_actions.json")


@given(mutated(COMMAND, sorted(COMMAND)))
def test_any_slash_command_becomes_a_request(body: dict[str, Any]) -> None:
    request = command_to_request(body, role="member")
    assert isinstance(request.text, str) and isinstance(request.command, str) and isinstance(request.workspace, str)


@given(mutated(EVENT, sorted(EVENT)), mutated(EVENT["event"], sorted(EVENT["event"])))
def test_any_dm_event_becomes_a_request_or_is_ignored(envelope: dict[str, Any], event: dict[str, Any]) -> None:
    envelope = {**envelope, "event": event}
    is_user_dm(event)
    request = dm_to_request(envelope)
    assert request.command == "message" and isinstance(request.text, str) and isinstance(request.user, str)


@given(mutated(EDIT, sorted(EDIT)), mutated(EDIT["event"], sorted(EDIT["event"])))
def test_any_message_edit_is_read_or_ignored(envelope: dict[str, Any], event: dict[str, Any]) -> None:
    edited = dm_edit({**envelope, "event": event})
    assert edited is None or all(isinstance(part, str) for part in edited)


@given(
    mutated(ACTIONS, sorted(ACTIONS)), st.one_of(JSON, mutated(ACTIONS["actions"][0], sorted(ACTIONS["actions"][0])))
)
def test_any_button_press_becomes_an_action(body: dict[str, Any], action: Any) -> None:
    act = block_action_to_action(body, action if isinstance(action, dict) else {"value": action})
    assert isinstance(act.action, str) and len(act.action) <= 40 and len(act.value) <= 2000


@given(st.one_of(st.none(), st.text(max_size=30)), st.one_of(st.none(), st.text(max_size=30)))
def test_workspace_keys_round_trip(team: str | None, enterprise: str | None) -> None:
    key = workspace_key(team_id=team, enterprise_id=enterprise)
    assert isinstance(key, str)
    split_workspace(key)
