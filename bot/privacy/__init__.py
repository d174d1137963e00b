"""Everything stored about a workspace or a person: export it, delete it, forget one person, uninstall.

Every table is listed in ``COVERAGE`` with what these functions do with it; a test fails
when a table of the schema is missing there, so a new table must say how it is exported,
deleted and forgotten (or why it holds nothing about a workspace or a person).

A workspace is named as the core does (``platform`` and the platform's ``workspace`` id,
``console`` / ``T1``). A platform's own tables are named ``<platform>_<what>`` (Slack's
installation store: ``slack_installations``, ``slack_bots``) and keyed by ``team_id`` and
``enterprise_id``; they are found by that naming, so this module names no platform.
"""

from bot.privacy.coverage import COVERAGE, FORGOTTEN, NOT_A_PERSON, PERSON_COLUMNS, PLATFORM_TABLES, WORKSPACE_TABLES
from bot.privacy.data import delete_workspace, export_workspace, forget_person, parse_workspace
from bot.privacy.uninstall import app_added, app_removed, mark_uninstalled, purge_uninstalled, reinstalled

__all__ = [
    "COVERAGE",
    "PERSON_COLUMNS",
    "NOT_A_PERSON",
    "WORKSPACE_TABLES",
    "PLATFORM_TABLES",
    "export_workspace",
    "delete_workspace",
    "forget_person",
    "mark_uninstalled",
    "reinstalled",
    "purge_uninstalled",
    "app_removed",
    "app_added",
    "parse_workspace",
    "FORGOTTEN",
]
