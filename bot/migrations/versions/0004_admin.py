"""Staff accounts, login attempts, the access log; FAQ version history; triage status on logged questions.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.Enum("admin", "editor", "handler", "viewer", name="staff_role", native_enum=False,
                                  length=32), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", core.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("login", name=op.f("uq_staff_users_login")),
    )
    op.create_table(
        "staff_login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("attempted_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_login_attempts")),
    )
    op.create_index("ix_staff_login_attempts_login_at", "staff_login_attempts", ["login", "attempted_at"])
    op.create_index("ix_staff_login_attempts_address_at", "staff_login_attempts", ["address", "attempted_at"])
    op.create_table(
        "staff_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("accessed_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], name=op.f("fk_staff_access_log_staff_id_staff_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_access_log")),
    )
    op.create_index("ix_staff_access_log_at", "staff_access_log", ["accessed_at"])
    op.create_table(
        "faq_entry_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["faq_entries.id"],
                                name=op.f("fk_faq_entry_versions_entry_id_faq_entries"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entry_versions")),
    )
    op.create_index(op.f("ix_faq_entry_versions_entry_id"), "faq_entry_versions", ["entry_id"])
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("triage_status", sa.String(length=16), nullable=False, server_default="new"))


def downgrade() -> None:
    op.drop_index(op.f("ix_faq_entry_versions_entry_id"), table_name="faq_entry_versions")
    op.drop_table("faq_entry_versions")
    with op.batch_alter_table("question_log") as batch:
        batch.drop_column("triage_status")
    op.drop_index("ix_staff_access_log_at", table_name="staff_access_log")
    op.drop_table("staff_access_log")
    op.drop_index("ix_staff_login_attempts_address_at", table_name="staff_login_attempts")
    op.drop_index("ix_staff_login_attempts_login_at", table_name="staff_login_attempts")
    op.drop_table("staff_login_attempts")
    op.drop_table("staff_users")
