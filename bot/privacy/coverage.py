"""What every table holds about a workspace or a person, and what export, delete and forget do with it.

Every table is listed in ``COVERAGE``; a test fails when a table of the schema is missing there, so a new
table must say how it is exported, deleted and forgotten (or why it holds nothing about a workspace or a
person).
"""

from __future__ import annotations

import re

from bot.answering.models import (
    GapDismissal,
    KnowledgeFeedback,
    KnowledgeQuestion,
    KnowledgeVersion,
    TaughtPhraseRow,
)
from bot.dashboard.models import DashboardLink, DashboardSession
from bot.scheduler.models import Outbox, Schedule
from bot.storage.models import Base, InteractionState
from bot.team import audit
from bot.team.models import (
    Absence,
    AuditEntry,
    CheckinAnswer,
    CheckinReport,
    HolidayCalendar,
    HolidayDay,
    Member,
    Milestone,
    RiskItem,
    TeamStage,
)

__all__ = ["COVERAGE", "PERSON_COLUMNS", "NOT_A_PERSON", "WORKSPACE_TABLES", "PLATFORM_TABLES", "FORGOTTEN"]

FORGOTTEN = audit.FORGOTTEN

# Tables keyed by (platform, workspace), children before parents (check-in answers refer to schedules).
WORKSPACE_TABLES: tuple[type[Base], ...] = (
    CheckinAnswer,
    Outbox,
    Schedule,
    Milestone,
    TeamStage,
    RiskItem,
    Member,
    InteractionState,
    AuditEntry,
    KnowledgeFeedback,
    KnowledgeQuestion,
    TaughtPhraseRow,
    GapDismissal,
    KnowledgeVersion,
    Absence,
    CheckinReport,
    HolidayDay,
    HolidayCalendar,
    DashboardLink,
    DashboardSession,
)
# A platform's installation store: ``<platform>_<suffix>``; rows of a workspace by team and enterprise id.
PLATFORM_TABLES = ("installations", "bots")
# Secrets are never exported.
_SECRET_COLUMN = re.compile(r"token|secret", re.I)

COVERAGE: dict[str, str] = {
    "checkin_answer": "workspace rows; a person's answers and participation are deleted",
    "outbox": "workspace rows; deliveries to a person are deleted; queued rows dropped at uninstall",
    "schedule": "workspace rows; a person leaves check-in participants, created_by is forgotten",
    "milestone": "workspace rows; a person's ownerships are cleared",
    "team_stage": "workspace rows; set_by is forgotten",
    "risk_item": "workspace rows; owner and reviewed_by cleared, their id scrubbed from notes",
    "member": "workspace rows; the person's record is deleted",
    "interaction_state": "workspace rows (button pages); pages naming the person are deleted",
    "audit_entry": "workspace rows; the person becomes 'a forgotten member' as actor and in what changed",
    "knowledge_question": "workspace rows; the questions a person asked are deleted (their votes with them)",
    "knowledge_feedback": "workspace rows; a person's votes and comments are deleted",
    "taught_phrase": "workspace rows; created_by is forgotten, the phrase stays the workspace's",
    "gap_dismissal": "workspace rows; dismissed_by is forgotten",
    "knowledge_version": "workspace rows: a counter of taught-phrase changes, no person data",
    "absence": "workspace rows; a person's own absences are deleted, set_by is forgotten",
    "checkin_report": "workspace rows: one report message per check-in day (counts, no names)",
    "holiday_calendar": "workspace rows: the holiday country; set_by is forgotten",
    "holiday_day": "workspace rows: added or removed holidays; set_by is forgotten",
    "dashboard_link": "workspace rows: one-time sign-in links (token hashes); a person's are deleted",
    "dashboard_session": "workspace rows: dashboard sessions (token hashes); a person's are deleted (signed out)",
    "workspace": "the workspace's settings row (id '<platform>:<workspace>'), no person data",
    "send_pace": "send slots by 'ws:<workspace>' and 'ch:<workspace>:<channel>' scope, deleted with the workspace",
    "slack_installations": "the platform's installation (tokens never exported); installer id forgotten",
    "slack_bots": "the platform's bot installation (tokens never exported), deleted with the workspace",
    # No workspace or person data:
    "slack_oauth_states": "none: one-time OAuth state values, expiring after ten minutes",
    "dashboard_key": "none: the dashboard's signing key (never exported)",
    "processed_event": "none: platform event ids of the last day, pruned by the adapters",
    "alembic_version": "none: the schema revision",
}


# The columns that can name a person, per table: ``forget_person`` deletes, clears or scrubs each.
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "checkin_answer": ("user",),
    "outbox": ("target",),
    "schedule": ("participants", "created_by"),
    "milestone": ("owner",),
    "team_stage": ("set_by",),
    "risk_item": ("owner", "reviewed_by", "accepted_by", "note", "title"),
    "member": ("user",),
    "interaction_state": ("payload",),
    "audit_entry": ("actor", "target", "before", "after"),
    "knowledge_question": ("user", "text"),
    "knowledge_feedback": ("user", "comment"),
    "taught_phrase": ("created_by",),
    "gap_dismissal": ("dismissed_by",),
    "absence": ("user", "set_by", "note"),
    "holiday_calendar": ("set_by",),
    "holiday_day": ("set_by",),
    "slack_installations": ("user_id",),
    "dashboard_link": ("user",),
    "dashboard_session": ("user",),
}


# Columns whose names sound like a person but hold none.
NOT_A_PERSON: dict[str, tuple[str, ...]] = {
    "outbox": ("claimed_by",),  # the replica holding the row's lease
    "checkin_report": ("claimed_by",),  # the replica syncing the report
}
