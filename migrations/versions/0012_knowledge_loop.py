"""knowledge loop: the question log, votes on answers, taught phrases and their version per workspace

Revision ID: 0012
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_question",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("command", sa.String(16), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("top_entry", sa.String(160), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("shown", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_question")),
    )
    with op.batch_alter_table("knowledge_question") as batch:
        batch.create_index("ix_knowledge_question_workspace_asked_at", ["platform", "workspace", "asked_at"])
        batch.create_index(op.f("ix_knowledge_question_asked_at"), ["asked_at"])
    op.create_table(
        "knowledge_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("comment", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["knowledge_question.id"],
            ondelete="CASCADE",
            name=op.f("fk_knowledge_feedback_question_id_knowledge_question"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_feedback")),
        sa.UniqueConstraint("question_id", "user", name=op.f("uq_knowledge_feedback_question_id_user")),
    )
    with op.batch_alter_table("knowledge_feedback") as batch:
        batch.create_index("ix_knowledge_feedback_workspace_updated_at", ["platform", "workspace", "updated_at"])
    op.create_table(
        "taught_phrase",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("phrase", sa.String(200), nullable=False),
        sa.Column("entry_id", sa.String(160), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_phrase")),
        sa.UniqueConstraint("platform", "workspace", "phrase", name=op.f("uq_taught_phrase_platform_workspace_phrase")),
    )
    op.create_table(
        "gap_dismissal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("dismissed_by", sa.String(120), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gap_dismissal")),
        sa.UniqueConstraint("platform", "workspace", "text", name=op.f("uq_gap_dismissal_platform_workspace_text")),
    )
    op.create_table(
        "knowledge_version",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", name=op.f("pk_knowledge_version")),
    )


def downgrade() -> None:
    op.drop_table("knowledge_version")
    op.drop_table("gap_dismissal")
    op.drop_table("taught_phrase")
    with op.batch_alter_table("knowledge_feedback") as batch:
        batch.drop_index("ix_knowledge_feedback_workspace_updated_at")
    op.drop_table("knowledge_feedback")
    with op.batch_alter_table("knowledge_question") as batch:
        batch.drop_index(op.f("ix_knowledge_question_asked_at"))
        batch.drop_index("ix_knowledge_question_workspace_asked_at")
    op.drop_table("knowledge_question")
