"""Command definitions, autocomplete, ``cos-bot discord commands --json`` and ``discord sync``."""

from __future__ import annotations

import asyncio
import json

import pytest

from adapters.discord.commands import check_payload, suggestions, to_choices
from adapters.discord.platform import commands_json, sync_commands
from bot.kernel.settings import Settings
from tests.adapters.discord.fake_discord import APP_ID, FakeDiscord, Scripted
from tests.conftest import shared_knowledge


def test_commands_json_payload_shape_and_limits() -> None:
    import subprocess
    import sys
    from pathlib import Path

    cli = Path(sys.executable).with_name("cos-bot")
    done = subprocess.run(
        [str(cli), "discord", "commands", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        cwd="/tmp",
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload == json.loads(commands_json())
    assert [c["name"] for c in payload] == ["cos-service", "cos-risk"]
    assert check_payload(payload) == []
    for cmd in payload:
        assert cmd["type"] == 1 and 1 <= len(cmd["description"]) <= 100
        [query] = cmd["options"]
        assert query == {
            **query,
            "name": "query",
            "type": 3,
            "autocomplete": True,
            "required": False,
            "max_length": 500,
        }
        # Chinese clients see Chinese names and descriptions; where the commands work is said with contexts.
        assert cmd["name_localizations"]["zh-CN"] in ("cos-服务", "cos-风险")
        assert cmd["name_localizations"]["zh-TW"] in ("cos-服務", "cos-風險")
        assert cmd["description_localizations"]["zh-CN"] in (
            "商业开源公司的商业服务与服务商",
            "商业风险、公司治理与国际合规主题",
        )
        assert set(cmd["description_localizations"]) == {"zh-CN", "zh-TW"}
        assert query["name_localizations"] == {"zh-CN": "问题", "zh-TW": "问题".replace("问", "問").replace("题", "題")}
        assert query["description_localizations"]["zh-CN"].startswith(("服务领域", "风险或合规主题"))
        assert cmd["contexts"] == [0, 1] and cmd["integration_types"] == [0]
        assert "dm_permission" not in cmd  # deprecated: contexts replace it


def test_check_payload_catches_broken_definitions() -> None:
    bad = [
        {
            "name": "Cos Service",
            "description": "",
            "options": [
                {"name": "q", "description": "d" * 101, "autocomplete": True, "choices": [{"name": "a", "value": "a"}]}
            ],
        }
    ]
    problems = check_payload(bad)
    assert len(problems) == 4


@pytest.mark.parametrize(
    "command,typed",
    [
        ("cos-service", ""),
        ("cos-service", "s"),
        ("cos-risk", ""),
        ("cos-risk", "gd"),
        ("cos-service", "a" * 300),
        ("cos-service", "e"),
    ],
)
def test_autocomplete_within_limits(command: str, typed: str) -> None:
    kb = shared_knowledge()[0]
    choices = to_choices(suggestions(kb, command, typed))
    assert 0 < len(choices) <= 25
    assert all(1 <= len(c.name) <= 100 and 1 <= len(c.value) <= 100 for c in choices)
    assert len({c.value.lower() for c in choices}) == len(choices)


def test_autocomplete_suggests_titles_and_aliases() -> None:
    kb = shared_knowledge()[0]
    service = [v for _, v in suggestions(kb, "cos-service", "legal")]
    assert "Comprehensive Legal Services" in service[:5]
    risk = [v for _, v in suggestions(kb, "cos-risk", "gdpr")]
    assert any("Data" in v or "GDPR" in v or "Privacy" in v for v in risk[1:4]), risk[:5]
    # Service and risk suggestions stay apart.
    assert "Comprehensive Legal Services" not in [v for _, v in suggestions(kb, "cos-risk", "legal")]
    # What was typed is always offered first so free text stays one tap away.
    assert suggestions(kb, "cos-service", "who runs soc 2")[0] == ("who runs soc 2", "who runs soc 2")


def test_to_choices_validates() -> None:
    pairs = [("", "x"), ("n" * 300, "v" * 300), ("dup", "Same"), ("dup2", "same")] + [
        (f"c{i}", f"v{i}") for i in range(40)
    ]
    choices = to_choices(pairs)
    assert len(choices) == 25
    assert choices[0].name.endswith("…") and len(choices[0].name) == 100 and len(choices[0].value) == 100
    assert [c.value for c in choices].count("Same") == 1 and "same" not in [c.value for c in choices]


@pytest.mark.parametrize("guild", ["900000000000000001", None])
async def test_sync_registers_exactly_the_printed_payload(
    fake: FakeDiscord, dsettings: Settings, guild: str | None
) -> None:
    stored = await sync_commands(dsettings, guild=guild)
    [put] = fake.requests("PUT")
    expected = f"/applications/{APP_ID}/guilds/{guild}/commands" if guild else f"/applications/{APP_ID}/commands"
    assert put.path == expected
    assert put.body == json.loads(await asyncio.to_thread(commands_json))
    assert [c["name_localizations"]["zh-CN"] for c in put.body] == ["cos-服务", "cos-风险"]
    assert all(c["contexts"] == [0, 1] and "dm_permission" not in c for c in put.body)
    assert [c["name"] for c in stored] == ["cos-service", "cos-risk"]
    assert not fake.sockets  # registration never opens the gateway


async def test_sync_cli_reports_missing_scope(
    fake: FakeDiscord, dsettings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse
    import asyncio

    from adapters.discord.platform import _cmd_sync

    fake.script(
        "PUT", f"/applications/{APP_ID}/guilds/42/commands", Scripted(403, {"message": "Missing Access", "code": 50001})
    )
    rc = await asyncio.to_thread(_cmd_sync, dsettings, argparse.Namespace(guild="42", global_=False))
    err = capsys.readouterr().err
    assert rc == 1 and "applications.commands" in err and "Traceback" not in err
    rc = await asyncio.to_thread(_cmd_sync, dsettings, argparse.Namespace(guild="not-a-number", global_=False))
    assert rc == 2
