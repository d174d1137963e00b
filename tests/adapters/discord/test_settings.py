"""The Discord settings of several replicas and the Interactions Endpoint URL: read once, refused clearly."""

from __future__ import annotations

import pytest

from bot.kernel.errors import ConfigError
from bot.kernel.settings import load_settings

KEY = "ab" * 32


def test_defaults_and_values() -> None:
    s = load_settings({}, dotenv=None)
    assert (s.discord_public_key, s.discord_shard_count, s.discord_lease_seconds) == (None, 1, 5.0)
    s = load_settings(
        {"DISCORD_PUBLIC_KEY": KEY.upper(), "DISCORD_SHARD_COUNT": "auto", "DISCORD_LEASE_SECONDS": "0.5"}, dotenv=None
    )
    assert (s.discord_public_key, s.discord_shard_count, s.discord_lease_seconds) == (KEY, 0, 0.5)
    assert load_settings({"DISCORD_SHARD_COUNT": "4"}, dotenv=None).discord_shard_count == 4
    assert load_settings({"DISCORD_LEASE_SECONDS": "0"}, dotenv=None).discord_lease_seconds == 0.2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DISCORD_PUBLIC_KEY", "not-a-key"),
        ("DISCORD_PUBLIC_KEY", "ab" * 31),
        ("DISCORD_SHARD_COUNT", "0"),
        ("DISCORD_SHARD_COUNT", "two"),
        ("DISCORD_SHARD_COUNT", "-1"),
        ("DISCORD_LEASE_SECONDS", "soon"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, dotenv=None)
