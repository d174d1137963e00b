"""The shipped manifest matches what the adapter serves and asks for."""

from __future__ import annotations

from pathlib import Path

import yaml

from adapters.slack.adapter import BOT_SCOPES
from adapters.slack.server import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[3] / "adapters" / "slack" / "manifest.yml"


def test_manifest_matches_the_adapter() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/cos-service", "/cos-risk"}
    # Escaped, Slack sends a mention as <@U123|ann> (a user id the check-ins can DM); unescaped it sends
    # the bare "@ann", which is no id at all.
    assert all(c["should_escape"] is True for c in commands.values())
    settings = manifest["settings"]
    urls = [c["url"] for c in commands.values()] + [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(u.endswith(EVENTS_PATH) for u in urls)
    assert {"app_home_opened", "message.im"} <= set(settings["event_subscriptions"]["bot_events"])
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
