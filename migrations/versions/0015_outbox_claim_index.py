"""outbox claim indexes: due rows in claim order, expired leases by expiry, nothing else

A claim orders due rows by ``(next_attempt_at, id)``. The old index on ``(status, next_attempt_at)``
could not give that order, so every claim read and sorted every due row: at 09:00 on a Monday, with
thousands of rows falling due at once, each claim of a batch sorted the whole backlog.

``ix_outbox_due`` holds pending rows only, in claim order. A claim takes its rows from the front and
stops; the rows it takes leave the index's predicate, so its own update writes nothing next to where the
next claim starts, and PostgreSQL can mark the entries it passed as dead on the way. (With the claimed
rows in the same index their new entries landed on that very page, every claim changed it, the dead
entries were never marked, and each claim walked past all rows claimed before it.)

``ix_outbox_lease`` holds the rows with a lease (claimed ones) by its expiry, for taking over the rows of a
worker that died: live leases lie in the future, so that scan reads only expired ones. Its predicate is on
the lease, not on the status, so statements that look rows up by id and status keep the primary key.

Delivered history (kept 90 days) is in neither.

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

_PENDING = sa.text("status = 'pending'")
_LEASED = sa.text("lease_until IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_due", "outbox", ["next_attempt_at", "id"], postgresql_where=_PENDING, sqlite_where=_PENDING
    )
    op.create_index("ix_outbox_lease", "outbox", ["lease_until", "id"], postgresql_where=_LEASED, sqlite_where=_LEASED)
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.drop_index("ix_outbox_lease", table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
