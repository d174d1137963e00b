"""The overview's next 14 days and ``cos-bot schedule preview`` are one function: a snoozed delivery shows at
its new time (marked snoozed), and what a skip cancels (the check-in's nudge) is in neither."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.kernel.reply import Reply
from bot.kernel.router import Action
from tests.dashboard.conftest import Site, signed_in
from tests.world import World

FRIDAY = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
_ROW = re.compile(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>\d+</td></tr>")


def _press(w: World, sent: Reply, label: str, user: str) -> Action:
    button = next(b for b in sent.buttons if b.label == label)
    return Action(
        platform="console", workspace="T1", channel=f"D-{user}", user=user, action=button.action, value=button.value
    )


def _shown_target(target: str) -> str:
    return ("DM " + target[1:]) if target.startswith("@") else target[1:]


def _due_rows(html: str) -> list[tuple[str, str, str]]:
    return _ROW.findall(html.split('id="due-h"', 1)[1].split("</section>", 1)[0])


async def test_the_overview_shows_a_snoozed_check_in_at_its_new_time_and_no_nudge_after_a_skip(any_site: Site):
    w = any_site.world
    assert (await w.admin.say("/cos-service checkin friday 16:00 @U1001 @U1002")).error is None
    await w.run_until(FRIDAY + timedelta(minutes=1), step_minutes=240)
    asked = {s.target: s.reply for s in w.transport.sent if s.what == "checkin"}
    assert "Snoozed until" in (await w.app.router.handle_action(_press(w, asked["U1001"], "Snooze 1 h", "U1001"))).title
    assert "Skipped" in (await w.app.router.handle_action(_press(w, asked["U1002"], "Skip today", "U1002"))).title

    preview = [o.as_preview() for o in await w.scheduler.preview(days=14)]
    today = [(p["at"], p["kind"], p["target"], p["snoozed"]) for p in preview if p["at"] < "2026-03-07"]
    # U1001: the check-in again at 17:01 (snoozed), then its nudge; U1002 skipped: no nudge.
    assert today == [
        ("2026-03-06T17:01:00Z", "checkin", "@U1001", True),
        ("2026-03-06T20:00:00Z", "nudge", "@U1001", False),
    ]
    client = await signed_in(any_site, w.admin)
    async with client:
        rows = _due_rows(await (await client.get(any_site.url("/dashboard"))).text())
    assert rows[:2] == [
        ("Fri 06 Mar 2026 17:01", "checkin (snoozed)", "DM U1001"),
        ("Fri 06 Mar 2026 20:00", "nudge", "DM U1001"),
    ]
    # the page lists exactly what the preview does, in the same order (the viewer's zone is UTC here)
    shown = [(datetime.strptime(r[0], "%a %d %b %Y %H:%M").replace(tzinfo=UTC), r[2]) for r in rows]
    expected = [(datetime.fromisoformat(p["at"].replace("Z", "+00:00")), _shown_target(p["target"])) for p in preview]
    assert shown == expected and len(shown) > 2

    # and what is sent matches: the snoozed check-in at 17:01, U1001's nudge, nothing more for U1002
    await w.run_until(FRIDAY + timedelta(hours=5), step_minutes=30)
    later = [(s.what, s.target, s.at) for s in w.transport.sent if s.at > FRIDAY + timedelta(minutes=1)]
    assert [(what, target) for what, target, _ in later] == [("snooze", "U1001"), ("nudge", "U1001")]
    # each on the first tick (every 30 minutes here) at or after its previewed time
    assert FRIDAY + timedelta(minutes=61) <= later[0][2] < FRIDAY + timedelta(minutes=91)
    assert FRIDAY + timedelta(hours=4) <= later[1][2] < FRIDAY + timedelta(hours=4, minutes=30)
