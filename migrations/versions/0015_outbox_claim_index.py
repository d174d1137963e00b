"""outbox claim index: due rows in claim order, so a claim reads only the rows it takes

The claim orders due rows by ``(next_attempt_at, id)``. The old index on ``(status, next_attempt_at)``
could not give that order, so every claim read and sorted every due row: at 09:00 on a Monday, with
thousands of rows falling due at once, each claim of a batch cost a sort of the whole backlog. The new
index carries ``id`` too, and holds only rows that can still be claimed (pending and claimed ones), so
the delivered history of the last 90 days is not in it and marking a row sent removes its entry
instead of adding one.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_OPEN = sa.text("status IN ('pending', 'claimed')")


def upgrade() -> None:
    op.create_index("ix_outbox_claim", "outbox", ["status", "next_attempt_at", "id"],
                    postgresql_where=_OPEN, sqlite_where=_OPEN)
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.drop_index("ix_outbox_claim", table_name="outbox")
