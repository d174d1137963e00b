"""question ids made by the bot: 64-bit, so an answer's 👍/👎 can carry its id before its row is written

The question log is written behind the answer (``bot.answering.journal``): the id is made in the process
(milliseconds since 2020 and random bits) instead of by the database's sequence, and needs 64 bits. SQLite's
INTEGER primary key is 64-bit already; on PostgreSQL the key and the votes' reference to it widen to BIGINT.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.alter_column("knowledge_question", "id", type_=sa.BigInteger(), existing_type=sa.Integer())
    op.alter_column("knowledge_feedback", "question_id", type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.alter_column("knowledge_feedback", "question_id", type_=sa.Integer(), existing_type=sa.BigInteger())
    op.alter_column("knowledge_question", "id", type_=sa.Integer(), existing_type=sa.BigInteger())
