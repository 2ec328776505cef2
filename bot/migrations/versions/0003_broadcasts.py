"""broadcasts and their delivery chunks

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("is_emergency", sa.Boolean(), nullable=False),
        sa.Column("status", _enum("broadcast_status", "draft", "scheduled", "queued", "sending", "done",
                                  "empty", "cancelled"), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("send_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("repeat", sa.String(length=40), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("occurrence_key", sa.String(length=80), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("queued_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("started_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["broadcasts.id"], name=op.f("fk_broadcasts_parent_id_broadcasts"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        sa.UniqueConstraint("occurrence_key", name=op.f("uq_broadcasts_occurrence_key")),
    )
    op.create_table(
        "delivery_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("chunk_kind", "multicast", "broadcast"), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("retry_key", sa.String(length=36), nullable=False),
        sa.Column("status", _enum("chunk_status", "pending", "sent", "failed"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("sent_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"],
                                name=op.f("fk_delivery_chunks_broadcast_id_broadcasts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_chunks")),
        sa.UniqueConstraint("broadcast_id", "seq", name="uq_delivery_chunks_broadcast_seq"),
        sa.UniqueConstraint("retry_key", name=op.f("uq_delivery_chunks_retry_key")),
    )
    with op.batch_alter_table("delivery_chunks", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_chunks_due", ["status", "priority", "next_attempt_at"], unique=False)


def downgrade() -> None:
    # The scheduler's job store (bot/scheduler.py) creates this table itself when it first starts, so
    # no upgrade made it; it holds jobs for the broadcasts dropped here and must go with them.
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")
    with op.batch_alter_table("delivery_chunks", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_chunks_due")
    op.drop_table("delivery_chunks")
    op.drop_table("broadcasts")
