"""How far the workers have looked into the inbox for citizens to show LINE's loading animation.

One row, shared by every worker: whichever holds its lock looks at the newly queued messages and
moves the mark, so each arrival is looked at once however many workers run (each used to look
at all of them, and every citizen got the animation once per worker).

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Its one row is created by the first look (so an emptied table heals itself).
    op.create_table(
        "loading_dots_mark",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("looked_to", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("loading_dots_mark")
