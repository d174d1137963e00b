"""The workspace's language: ``/cos-service language``, team replies in Chinese, English teams unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.kernel.reply import Reply
from bot.kernel.reply import to_text as _to_text
from bot.kernel.request import Request
from bot.storage.models import Workspace
from bot.team.models import AuditEntry
from tests.conftest import Harness
from tests.world import World


def to_text(reply: Reply) -> str:
    return _to_text(reply, plain_mentions=True)


async def _lang_row(world: World, workspace: str = "T1") -> str | None:
    async with world.app.db.session() as s:
        row = await s.get(Workspace, f"console:{workspace}")
        return row.lang if row is not None else None


async def test_a_workspace_switched_to_chinese_gets_its_team_replies_in_chinese(any_world: World) -> None:
    world = any_world
    english_before = to_text(await world.admin.say("/cos-service stage early since 2026-03"))
    assert english_before.startswith("Stage set: Early Commercialization since March 2026")

    r = await world.admin.say("/cos-service language zh")
    assert r.error is None and r.title == "这里的语言：中文" and r.lang == "zh"
    assert await _lang_row(world) == "zh"

    stage = await world.member.say("/cos-service stage")
    assert stage.title == "阶段：Early Commercialization，自 2026年3月 起" and stage.lang == "zh"
    digest = to_text(await world.admin.say("/cos-service digest weekly monday 09:00 Europe/Berlin"))
    assert digest.startswith("摘要已安排（计划 ") and "2026-03-09 周一 09:00 Europe/Berlin" in digest
    listing = to_text(await world.member.say("/cos-service schedules"))
    assert listing.startswith("计划") and "C1 中的摘要" in listing
    # Errors, permission refusals and the router's own words follow the workspace too.
    bad = await world.admin.say("/cos-service stage someday")
    assert bad.title == "我没能读懂这条指令" and "“someday”不是一个阶段" in to_text(bad)
    refused = await world.member.say("/cos-service digest off")
    assert refused.title == "抱歉，我不能这样做" and "只有管理员可以关闭摘要" in to_text(refused)
    # Even an English question to a team command is answered in the workspace's language.
    assert (await world.member.say("/cos-service timezone")).title.startswith("你的时区：")


async def test_an_english_team_sees_no_change(world: World) -> None:
    await world.admin.say("/cos-service language zh")  # T1 speaks Chinese ...
    other = Harness(world.app, role="admin", workspace="T2", channel="C9", user="UADMIN2")
    r = await other.say("/cos-service stage early since 2026-03")  # ... T2 is untouched
    assert r.title == "Stage set: Early Commercialization since March 2026" and r.lang == "en"
    assert (await other.say("/cos-service language")).title == "Language here: automatic"
    assert await _lang_row(world, "T2") is None


async def test_setting_the_language_is_for_admins_audited_and_bad_input_changes_nothing(world: World) -> None:
    refused = await world.member.say("/cos-service language zh")
    assert refused.error and "Only admins can choose the workspace's language" in to_text(refused)
    for bad in ("klingon", "zh en", "@everyone"):
        r = await world.admin.say(f"/cos-service language {bad}")
        assert r.error and "is not a language I speak" in to_text(r), bad
        assert "@everyone" not in to_text(r).replace("@\u200beveryone", "")
    assert await _lang_row(world) is None

    assert (await world.admin.say("/cos-service language 中文")).title == "这里的语言：中文"
    assert (await world.admin.say("/cos-service language zh")).title == "这里的语言：中文"  # no second entry
    r = await world.admin.say("/cos-service language en")
    assert r.title == "Language here: English" and await _lang_row(world) == "en"
    assert (await world.admin.say("/cos-service language auto")).title == "Language here: automatic"
    assert await _lang_row(world) is None
    async with world.app.db.session() as s:
        rows = (await s.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
    changes = [(e.action, e.before, e.after) for e in rows if e.action == "language.workspace"]
    assert changes == [
        ("language.workspace", '"auto"', '"zh"'),
        ("language.workspace", '"zh"', '"en"'),
        ("language.workspace", '"en"', '"auto"'),
    ]
    shown = to_text(await world.admin.say("/cos-service audit"))
    assert "language.workspace" in shown


async def test_an_english_setting_wins_over_a_chinese_locale_and_auto_lets_it_speak(world: World) -> None:
    async def ask(locale: str | None, text: str) -> Reply:
        request = Request(
            platform="console",
            workspace="T1",
            channel="C1",
            user="U1001",
            command="cos-service",
            text=text,
            locale=locale,
        )
        return await world.app.router.handle(request)

    assert (await ask("zh-CN", "stage")).title == "尚未设置阶段"  # auto: the person's locale
    assert (await ask("en-US", "stage")).title == "No stage set yet"
    assert (await ask(None, "stage")).title == "No stage set yet"  # no locale, Latin text: the default
    await world.admin.say("/cos-service language en")
    assert (await ask("zh-CN", "stage")).title == "No stage set yet"  # the workspace's choice first


async def test_cos_default_lang_is_the_last_resort(clock: object, sqlite_url: str) -> None:
    from bot.kernel.router import Action
    from tests.world import make_world

    world = await make_world(sqlite_url, clock, default_lang="zh")  # type: ignore[arg-type]
    try:
        # Latin text is English by its script; only what has no script of its own falls to the default.
        assert (await world.member.say("/cos-service stage")).title == "No stage set yet"
        pressed = Action(platform="console", workspace="T1", channel="C1", user="U1", action="nothing", value="")
        r = await world.app.router.handle_action(pressed)
        assert r is not None and r.title == "这个按钮已过期"
        help_ = await world.member.say("/cos-service")
        assert help_.lang == "zh" and "团队命令" in [s.heading for s in help_.sections]
    finally:
        await world.app.close()


async def test_buttons_answer_in_the_workspace_language(world: World) -> None:
    from bot.kernel.router import Action

    await world.admin.say("/cos-service language zh")
    r = await world.app.router.handle_action(
        Action(platform="console", workspace="T1", channel="C1", user="U1001", action="milestone.done", value="x")
    )
    assert r is not None and r.title == "这个按钮已过期" and r.lang == "zh"
    for action in ("open", "providers", "related"):  # the knowledge buttons too
        card = await world.app.router.handle_action(
            Action(
                platform="console",
                workspace="T1",
                channel="C1",
                user="U1001",
                action=action,
                value="area.comprehensive-legal-services",
            )
        )
        assert card is not None and card.lang == "zh" and not card.error, action
        assert any("\u4e00" <= c <= "\u9fff" for c in card.title), (action, card.title)


@pytest.mark.parametrize(
    "lang,answered,expected",
    [
        ("en", 1, "1 question left"),
        ("en", 0, "2 questions left"),
        ("zh", 1, "还剩 1 个问题"),
        ("zh", 0, "还剩 2 个问题"),
    ],
)
async def test_check_in_answers_count_what_is_left_in_the_right_plural(
    world: World, lang: str, answered: int, expected: str
) -> None:
    await world.admin.say(f"/cos-service language {lang}")
    await world.admin.say("/cos-service checkin monday 08:30 @U1001")
    await world.run_until(world.clock.now().replace(hour=9))
    [dm] = [s for s in world.transport.sent if s.target == "U1001"]
    assert dm.reply.sections
    for n in range(answered):
        await world.member.say(f"answer {n}")
    r = await world.member.say("the answer")
    assert expected in to_text(r), to_text(r)


async def test_the_last_known_language_holds_while_the_database_is_away(world: World, tmp_path: object) -> None:
    from bot.storage.db import Database
    from bot.team.language import CHECK_SECONDS, WorkspaceLanguages

    now = [0.0]
    languages = WorkspaceLanguages(world.app.db, clock=lambda: now[0])
    await world.admin.say("/cos-service language zh")
    assert await languages("console", "T1") == "zh"
    languages.db = Database(f"sqlite+aiosqlite:///{tmp_path}")  # a directory: no database opens there
    try:
        now[0] += CHECK_SECONDS + 1
        assert await languages("console", "T1") == "zh"  # the last known setting
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises; the router falls back
            await languages("console", "T2")
    finally:
        await languages.db.dispose()


async def test_a_known_workspace_answers_from_memory_and_reads_its_setting_behind_the_answer(world: World) -> None:
    from bot.team.language import CHECK_SECONDS, WorkspaceLanguages

    now = [0.0]
    languages = WorkspaceLanguages(world.app.db, clock=lambda: now[0])
    assert await languages("console", "T1") is None  # never seen: read now
    async with world.app.db.session() as session:
        at = world.app.clock.now()
        session.add(Workspace(id="console:T1", platform="console", lang="zh", created_at=at, updated_at=at))
    assert await languages("console", "T1") is None  # within the check interval: memory
    now[0] += CHECK_SECONDS
    assert await languages("console", "T1") is None  # stale: answered from memory, read behind it
    await languages.settled()
    assert await languages("console", "T1") == "zh"


async def test_closing_the_app_waits_for_a_setting_read_behind_an_answer(settings: object, db_url: str) -> None:
    """Shutdown lands while a known workspace's setting is read again: the read finishes before the database
    closes (cut off, its connection would be reset half-way and logged as an error)."""
    from dataclasses import replace

    from bot.app import build_app
    from bot.team.language import CHECK_SECONDS, WorkspaceLanguages
    from tests.conftest import shared_knowledge

    app = await build_app(replace(settings, database_url=db_url), knowledge=shared_knowledge())  # type: ignore[type-var]
    now = [0.0]
    team = app.parts["team"]
    team._languages = languages = WorkspaceLanguages(app.db, clock=lambda: now[0])
    assert team.languages is languages
    assert await languages("console", "T1") is None
    now[0] += CHECK_SECONDS
    assert await languages("console", "T1") is None  # answered from memory; the read goes on behind
    [reading] = languages._reading.values()
    await app.close()
    assert reading.done() and not reading.cancelled() and reading.result() is None


async def test_a_phase_asked_of_a_chinese_workspace_is_answered_in_chinese(world: World) -> None:
    await world.admin.say("/cos-service language zh")
    growth = await world.member.say("/cos-service milestones growth")
    assert growth.lang == "zh" and growth.title.startswith("商业化成长期"), growth.title
    path = await world.member.say("/cos-service milestones")  # no stage set: the whole path
    assert path.lang == "zh" and path.title == "发展路径与里程碑", path.title
    overview = await world.member.say("/cos-service stage characteristics")  # a title, not a stage to set
    assert overview.error is None and overview.lang == "zh" and overview.title.startswith("阶段特征"), overview
