"""An index for claiming each citizen's webhook events strictly in order.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_webhook_inbox_user_status_id", "webhook_inbox", ["line_user_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_inbox_user_status_id", table_name="webhook_inbox")
