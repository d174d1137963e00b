"""The knowledge page's per-day counts are made by the database: each question falls on its local day in the
viewer's zone (a zone half an hour off UTC here), the same as counting the rows one by one; the audit log is
read a page (100 entries) at a time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import insert

from bot.answering.models import KnowledgeQuestion
from tests.dashboard.conftest import Site, signed_in


async def test_questions_fall_on_their_local_day(any_site: Site):
    w = any_site.world  # now: Monday 2 March 2026, 08:00 UTC = 13:30 in Kolkata
    assert (await w.admin.say("/cos-service timezone Asia/Kolkata")).error is None
    asked = [
        (datetime(2026, 3, 1, 18, 29, tzinfo=UTC), True),  # 23:59 on 1 March in Kolkata
        (datetime(2026, 3, 1, 18, 31, tzinfo=UTC), True),  # 00:01 on 2 March
        (datetime(2026, 3, 1, 18, 31, tzinfo=UTC), False),
        (datetime(2026, 1, 31, 20, 0, tzinfo=UTC), False),  # 01:30 on 1 February: the first day shown
        (datetime(2026, 1, 31, 10, 0, tzinfo=UTC), True),  # within 30 x 24 h, but on 31 January: in no day
        (datetime(2026, 1, 30, 10, 0, tzinfo=UTC), True),  # too old
    ]
    async with w.app.db.session() as session:
        await session.execute(
            insert(KnowledgeQuestion),
            [
                {
                    "id": 900 + n,
                    "platform": "console",
                    "workspace": "T1",
                    "user": "U1001",
                    "command": "cos-service",
                    "text": f"question {n}",
                    "matched": matched,
                    "top_entry": "legal" if matched else None,
                    "score": 0.5,
                    "shown": "[]",
                    "asked_at": at,
                }
                for n, (at, matched) in enumerate(asked)
            ],
        )
    client = await signed_in(any_site, w.admin)
    async with client:
        html = await (await client.get(any_site.url("/dashboard/knowledge"))).text()
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>(\d+)</td><td>(\d+)</td></tr>", html)
    days = {d: (int(a), int(n)) for d, a, n in rows}
    assert len(rows) == 30 and rows[0][0] == "2026-02-01" and rows[-1][0] == "2026-03-02"
    assert days["2026-03-01"] == (1, 0) and days["2026-03-02"] == (1, 1) and days["2026-02-01"] == (0, 1)
    assert sum(a + n for a, n in days.values()) == 4
    assert "Last 30 days: 5 asked, 3 answered" in html  # the one on 31 January counts, in no day


async def test_the_audit_log_is_paged_newest_first(site: Site):
    from datetime import timedelta

    from bot.team.models import AuditEntry

    w = site.world
    start = datetime(2026, 2, 1, tzinfo=UTC)
    async with w.app.db.session() as session:
        await session.execute(
            insert(AuditEntry),
            [
                {
                    "platform": "console",
                    "workspace": "T1",
                    "at": start + timedelta(minutes=n),
                    "actor": "UADMIN",
                    "action": "schedule.pause",
                    "target": f"schedule {n}",
                    "before": None,
                    "after": None,
                }
                for n in range(250)
            ],
        )
    client = await signed_in(site, w.admin)
    async with client:

        async def page(n: int) -> tuple[list[str], str]:
            html = await (await client.get(site.url(f"/dashboard/audit?kind=schedule&page={n}"))).text()
            return re.findall(r"<td>schedule (\d+)</td>", html), html

        first, html = await page(1)
        assert first[:2] == ["249", "248"] and len(first) == 100
        assert "Older changes" in html and "Newer changes" not in html and "page=2" in html
        second, html = await page(2)
        assert second[0] == "149" and len(second) == 100 and "Newer changes" in html and "Older changes" in html
        third, html = await page(3)
        assert third[-1] == "0" and len(third) == 50 and "Older changes" not in html
        assert (await page(0))[0] == first  # anything but 1 to 10,000 is the first page
