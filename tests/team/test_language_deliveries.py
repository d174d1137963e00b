"""Scheduled deliveries in the workspace's language: a Chinese team's digest, check-ins and reminders are Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.kernel.reply import to_text
from tests.conftest import Harness
from tests.world import World

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


async def test_a_chinese_workspace_gets_its_deliveries_in_chinese(any_world: World) -> None:
    w = any_world
    assert (await w.admin.say("/cos-service language zh")).lang == "zh"
    await w.admin.say("/cos-service stage early since 2026-03")
    await w.admin.say("/cos-service milestone owner 1 @U1001")
    await w.admin.say("/cos-service milestone date 1 2026-03-03")
    await w.admin.say("/cos-service checkin daily 09:30 @U1001")
    await w.admin.say("/cos-service digest daily 10:00 UTC")
    await w.admin.say("/cos-risk schedule monthly 09:00 UTC")
    await w.admin.say("/cos-risk review gdpr low")
    # The schedules are described, and a bad time refused, in Chinese too.
    listing = to_text(await w.member.say("/cos-service schedules"), plain_mentions=True)
    assert "每天 10:00（UTC）" in listing and "daily at" not in listing
    bad = to_text(await w.admin.say("/cos-service digest daily 25:00 UTC"), plain_mentions=True)
    assert "“25:00”不是一个时刻" in bad and "not a time of day" not in bad

    await w.run_until(_utc(2026, 3, 3, 12), step_minutes=30)
    sent = {s.what: s for s in reversed(w.transport.sent)}  # the first of each kind
    checkin, nudge, digest, milestone = sent["checkin"], sent["nudge"], sent["digest"], sent["milestone"]

    assert checkin.kind == "dm" and checkin.reply.title == "签到"
    assert "请在这条私信里回复" in checkin.text and "Reply here" not in checkin.text
    assert "你的回答会进入团队摘要" in (checkin.reply.footer or "")
    assert nudge.reply.title == "温馨提醒：你的签到还没有回答" and "gentle nudge" not in nudge.text

    assert digest.reply.title == "团队摘要"
    for words in ("到期和逾期的里程碑", "待评估的风险（11）", "负责人", "尚未回答", "服务建议："):
        assert words in digest.text, words
    for english in ("Team digest", "Milestones due", "Risk reviews due", "Not answered yet", "Service tip", "Covers"):
        assert english not in digest.text, english
    assert (digest.reply.footer or "").startswith("涵盖 2026-02-23 10:00 UTC 以来的动态")

    assert milestone.reply.title.startswith("里程碑今天到期：") and "Milestone due" not in milestone.text
    assert "标记完成" in [b.label for b in milestone.reply.buttons] and "目标日期" in milestone.text

    w.clock.set(_utc(2026, 4, 1, 9))
    await w.tick()
    review = w.transport.sent[-1]
    assert review.what == "risk_review"
    assert review.reply.title == "风险评估到期：登记册 12 项中 11 项待评估"
    assert "待评估" in review.text and "Risk review due" not in review.text and "To review" not in review.text


async def test_a_chinese_checkin_report_and_missed_checkins_in_the_digest(world: World) -> None:
    w = world
    await w.admin.say("/cos-service language zh")
    await w.admin.say("/cos-service checkin daily 09:30 @U1001")
    await w.run_until(_utc(2026, 3, 2, 9, 45), step_minutes=15)
    assert (await w.member.say("Closed two pilot deals", user="U1001")).error is None
    await w.tick()
    reports = [s for s in w.transport.sent if s.kind == "channel" and s.what not in ("checkin", "nudge")]
    assert reports, [s.what for s in w.transport.sent]
    assert reports[-1].reply.title == "周一签到：1 人中 1 人已回答"
    assert "2026-03-02（周一）。回答见讨论串。" in reports[-1].text


async def test_workspaces_of_two_languages_in_one_batch_each_get_their_own(any_world: World) -> None:
    w = any_world
    await w.admin.say("/cos-service language zh")
    other = Harness(w.app, role="admin", workspace="T2", channel="C9", user="UADMIN2")
    await w.admin.say("/cos-service digest daily 10:00 UTC")
    await other.say("/cos-service digest daily 10:00 UTC")
    w.clock.set(_utc(2026, 3, 2, 10, 0, 1))
    await w.tick()
    digests = {s.target: s for s in w.transport.sent if s.what == "digest"}
    assert set(digests) == {"C1", "C9"}
    chinese, english = digests["C1"], digests["C9"]
    assert chinese.reply.title == "团队摘要" and "服务建议：" in chinese.text and "Service tip" not in chinese.text
    # The tip itself is the entry's Chinese title and text, not the English ones under a Chinese heading.
    (tip,) = [s for s in chinese.reply.sections if (s.heading or "").startswith("服务建议：")]
    assert _CJK.search((tip.heading or "").removeprefix("服务建议：")), tip.heading
    assert len(_CJK.findall(tip.text or "")) > len(tip.text or "") / 3, tip.text
    # The English team's digest, rendered in the same batch, has no Chinese in it (the tip included).
    assert english.reply.title == "Team digest" and "Service tip: " in english.text
    assert not _CJK.search(english.text), english.text
    assert "Nothing due, nothing overdue, no new check-in answers." in english.text
    assert (english.reply.footer or "").startswith("Covers what happened since 2026-02-23 10:00 UTC. Service tip")
    assert chinese.at == english.at  # sent by the same tick


async def test_a_chinese_workspace_gets_its_escalations_in_chinese(world: World) -> None:
    w = world
    await w.admin.say("/cos-service language zh")
    for line in ("/cos-risk schedule quarterly 09:00 UTC", "/cos-risk owner gdpr @U1001"):
        assert (await w.admin.say(line)).error is None, line
    while w.clock.now() < _utc(2026, 3, 17):
        w.clock.set(w.clock.now() + timedelta(hours=12))
        await w.tick()
    gdpr = {s.kind: s for s in w.transport.sent if s.what == "escalation" and "Data Protection" in s.text}
    assert set(gdpr) == {"channel", "dm"}
    dm, post = gdpr["dm"], gdpr["channel"]
    assert dm.reply.title.startswith("风险评估已逾期：") and "你是这个登记项的负责人" in dm.text
    assert "立即评估" in [b.label for b in dm.reply.buttons] and "Overdue risk review" not in dm.text
    assert post.reply.title.startswith("升级提醒：") and "天" in post.reply.title
    assert "管理员：请评估它" in post.text and "`/cos-risk accept " in post.text and "Escalation" not in post.text
