"""dashboard language: the language of the person a sign-in link was made for, kept with their session

``dashboard_link.lang`` and ``dashboard_session.lang`` are ``en`` or ``zh`` when the chat request that asked
for the link carried the person's platform locale; NULL when it was unknown. A workspace set to ``auto``
shows the dashboard in that language.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("dashboard_link", "dashboard_session"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lang", sa.String(8), nullable=True))


def downgrade() -> None:
    for table in ("dashboard_session", "dashboard_link"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("lang")
