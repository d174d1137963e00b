"""workspace language: the language an admin chose for the bot's replies in a workspace

``workspace.lang`` is ``en`` or ``zh``; NULL (the default, and ``/cos-service language auto``) lets each
request choose by the person's platform locale, the question's script and ``COS_DEFAULT_LANG``.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.add_column(sa.Column("lang", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.drop_column("lang")
