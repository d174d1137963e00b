"""``cos-bot schedule preview`` agrees with what is actually sent; Berlin digest at 09:00 local across DST."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from tests.world import World


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


async def _setup_everything(w: World) -> None:
    a = w.admin
    await w.member.say("/cos-service timezone America/New_York")  # U1001 lives in New York
    await w.app.router.handle(
        __import__("bot.kernel.request", fromlist=["Request"]).Request(
            platform="console",
            workspace="T1",
            channel="C1",
            user="U1003",
            command="cos-service",
            text="timezone Australia/Sydney",
        )
    )
    for line in (
        "/cos-service stage early since 2026-03",
        "/cos-service milestone owner 1 @U1001",
        "/cos-service milestone date 1 2026-04-15",
        "/cos-service milestone date 2 2026-05-04",
        "/cos-service digest weekly monday 09:00 Europe/Berlin",
        "/cos-risk schedule monthly 10:00 Australia/Sydney",
        "/cos-service checkin friday 16:00 @U1001 @U1002 <@U1003>",
    ):
        r = await a.say(line)
        assert r.error is None, (line, r.error)
    r = await a.say("/cos-service digest weekdays 14:05 UTC", channel="C2")
    assert r.error is None
    r = await a.say("/cos-service digest monthly 8 02:30 America/New_York", channel="C3")
    assert r.error is None


def _sent_view(w: World) -> list[tuple[str, str, str]]:
    out = []
    for s in w.transport.sent:
        target = ("@" if s.kind == "dm" else "#") + s.target
        out.append((s.at.isoformat().replace("+00:00", "Z"), s.what, target))
    return sorted(out)


async def test_preview_matches_what_is_sent_over_90_days(any_world: World) -> None:
    w = any_world
    await _setup_everything(w)
    start = w.clock.now()
    preview = [o.as_preview() for o in await w.scheduler.preview(days=90)]
    kinds = {p["kind"] for p in preview}
    assert kinds == {"milestone", "risk_review", "digest", "checkin", "nudge"}
    assert all(p["workspace"] == "console:T1" for p in preview)
    # Drive fake time to every preview instant, and every 12 hours besides (to catch anything unplanned).
    stops = sorted(
        {datetime.fromisoformat(p["at"].replace("Z", "+00:00")) for p in preview}
        | {start + timedelta(hours=12 * i) for i in range(1, 90 * 2 + 1)}
    )
    for t in stops:
        w.clock.set(t)
        await w.tick()
    expected = sorted((p["at"], p["kind"], p["target"]) for p in preview)
    assert _sent_view(w) == expected
    # local times in the preview are the schedule's wall clock, in each target's zone
    berlin = [p["local"] for p in preview if p["tz"] == "Europe/Berlin"]
    assert all(t[11:16] == "09:00" for t in berlin)
    assert {"2026-03-23T09:00:00+01:00", "2026-03-30T09:00:00+02:00"} <= set(berlin)
    ny_checkins = [p["local"] for p in preview if p["kind"] == "checkin" and p["target"] == "@U1001"]
    assert ny_checkins and all(t[11:16] == "16:00" for t in ny_checkins)
    ny_gap = [p["local"] for p in preview if p["target"] == "#C3" and p["local"].startswith("2026-03-08")]
    assert ny_gap == ["2026-03-08T03:30:00-04:00"]  # 02:30 does not exist that day


def test_cli_preview_json_shows_berlin_digest_at_nine_local_both_sides_of_march_2027(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["ask", "/cos-service digest weekly monday 09:00 Europe/Berlin", "--role", "admin"]) == 0
    capsys.readouterr()
    assert main(["schedule", "preview", "--days", "22", "--from", "2027-03-15T00:00:00Z", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [(i["at"], i["local"]) for i in items] == [
        ("2027-03-15T08:00:00Z", "2027-03-15T09:00:00+01:00"),
        ("2027-03-22T08:00:00Z", "2027-03-22T09:00:00+01:00"),
        ("2027-03-29T07:00:00Z", "2027-03-29T09:00:00+02:00"),
        ("2027-04-05T07:00:00Z", "2027-04-05T09:00:00+02:00"),
    ]
    assert set(items[0]) == {"at", "local", "tz", "kind", "workspace", "target", "snoozed"}
    assert items[0]["kind"] == "digest" and items[0]["tz"] == "Europe/Berlin"
    assert items[0]["workspace"] == "console:local" and items[0]["target"] == "#console"
    assert main(["schedule", "preview", "--days", "7", "--from", "2027-03-15T00:00:00Z"]) == 0
    text = capsys.readouterr().out
    assert "2027-03-15T09:00:00+01:00" in text and "digest" in text
    assert main(["schedule", "preview", "--days", "7", "--from", "yesterday"]) == 2
    assert main(["schedule", "preview", "--days", "0"]) == 2
