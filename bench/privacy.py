"""Time workspace export, forget-a-person and workspace delete on a seeded SQLite (or DATABASE_URL) database.

Prints JSON. ``python bench/privacy.py [answers_per_person]``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import privacy
from bot.scheduler.models import Schedule
from bot.storage.db import Database, migrate
from bot.team.models import AuditEntry, CheckinAnswer, Member


async def main(per_person: int) -> dict[str, object]:
    url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    await migrate(db)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    people = [f"U{1000 + i}" for i in range(20)]
    for ws in ("T1", "T2"):
        async with db.session() as s:
            sched = Schedule(
                platform="console",
                workspace=ws,
                kind="checkin",
                channel="C1",
                cadence="daily",
                hour=9,
                minute=0,
                tz="UTC",
                participants=json.dumps(people),
                questions="[]",
                active=True,
                planned_until=now,
                created_by="UADMIN",
                created_at=now,
            )
            s.add(sched)
            await s.flush()
            for p in people:
                s.add(Member(platform="console", workspace=ws, user=p, tz="UTC", updated_at=now))
                for d in range(per_person):
                    at = now - timedelta(days=d)
                    s.add(
                        CheckinAnswer(
                            platform="console",
                            workspace=ws,
                            schedule_id=sched.id,
                            occurrence_at=at,
                            user=p,
                            questions='["q"]',
                            answers='["a"]',
                            asked_at=at,
                            answered_at=at,
                        )
                    )
                s.add(
                    AuditEntry(
                        platform="console",
                        workspace=ws,
                        at=now,
                        actor="UADMIN",
                        action="milestone.owner",
                        target="milestone 1",
                        before=json.dumps({"owner": None}),
                        after=json.dumps({"owner": p}),
                    )
                )
    rows = 2 * len(people) * (per_person + 2) + 2
    timings: dict[str, float] = {}
    t = time.perf_counter()
    data = await privacy.export_workspace(db, platform="console", workspace="T1")
    timings["export_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    await privacy.forget_person(db, platform="console", workspace="T1", user="U1000")
    timings["forget_ms"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    await privacy.delete_workspace(db, platform="console", workspace="T1")
    timings["delete_ms"] = (time.perf_counter() - t) * 1000
    await db.dispose()
    return {
        "database": url.split("://")[0],
        "rows_seeded": rows,
        "rows_exported": sum(len(v) for v in data["tables"].values()),
        **{k: round(v, 1) for k, v in timings.items()},
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))))
