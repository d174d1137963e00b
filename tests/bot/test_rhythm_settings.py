"""The team-rhythm settings: COS_ESCALATE_DAYS and COS_LATE_NOTE_MINUTES."""

from __future__ import annotations

import pytest

from bot.kernel.errors import ConfigError
from bot.kernel.settings import load_settings


def test_defaults_and_values() -> None:
    s = load_settings({}, dotenv=None)
    assert (s.escalate_days, s.late_note_minutes) == (7, 10)
    s = load_settings({"COS_ESCALATE_DAYS": "14", "COS_LATE_NOTE_MINUTES": "0"}, dotenv=None)
    assert (s.escalate_days, s.late_note_minutes) == (14, 0)


@pytest.mark.parametrize("name", ["COS_ESCALATE_DAYS", "COS_LATE_NOTE_MINUTES"])
@pytest.mark.parametrize("value", ["-1", "seven", "1.5"])
def test_bad_values_fail_fast(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value}, dotenv=None)
