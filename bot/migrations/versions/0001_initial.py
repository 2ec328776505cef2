"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 04:09:07.816168
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
    sa.UniqueConstraint('key', name=op.f('uq_areas_key'))
    )
    op.create_table('conversation_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_states')),
    sa.UniqueConstraint('line_user_id', name=op.f('uq_conversation_states_line_user_id'))
    )
    op.create_table('delivery_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_emergency', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_categories')),
    sa.UniqueConstraint('key', name=op.f('uq_delivery_categories_key'))
    )
    op.create_table('faq_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_faq_categories_name'))
    )
    op.create_table('line_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('first_seen_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('followed_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('blocked_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_message_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_users')),
    sa.UniqueConstraint('line_user_id', name=op.f('uq_line_users_line_user_id'))
    )
    op.create_table('question_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=True),
    sa.Column('web_session_id', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Enum('meaningless', 'answered', 'candidates', 'unanswered', name='question_outcome', native_enum=False, length=32), nullable=False),
    sa.Column('faq_external_id', sa.String(length=64), nullable=True),
    sa.Column('candidate_ids', sa.Text(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=True),
    sa.Column('feedback_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_log'))
    )
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.create_index('ix_question_log_created_outcome', ['created_at', 'outcome'], unique=False)

    op.create_table('webhook_inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('message_type', sa.String(length=40), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('is_redelivery', sa.Boolean(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'done', 'failed', 'ignored', name='inbox_status', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('received_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('event_time', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('processed_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_inbox')),
    sa.UniqueConstraint('webhook_event_id', name=op.f('uq_webhook_inbox_webhook_event_id'))
    )
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_inbox_status_id', ['status', 'id'], unique=False)

    op.create_table('faq_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['faq_categories.id'], name=op.f('fk_faq_entries_category_id_faq_categories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_entries')),
    sa.UniqueConstraint('external_id', name=op.f('uq_faq_entries_external_id'))
    )
    op.create_table('inquiries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_number', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=True),
    sa.Column('web_session_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('new', 'assigned', 'answered', 'closed', name='inquiry_status', native_enum=False, length=32), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('assigned_to', sa.String(length=100), nullable=False),
    sa.Column('question_log_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['question_log_id'], ['question_log.id'], name=op.f('fk_inquiries_question_log_id_question_log'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiries')),
    sa.UniqueConstraint('receipt_number', name=op.f('uq_inquiries_receipt_number'))
    )
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.create_index('ix_inquiries_line_user_status', ['line_user_id', 'status'], unique=False)
        batch_op.create_index('ix_inquiries_status_created', ['status', 'created_at'], unique=False)

    op.create_table('message_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.Enum('in', 'out', name='message_direction', native_enum=False, length=32), nullable=False),
    sa.Column('message_type', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('inbox_event_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inbox_event_id'], ['webhook_inbox.id'], name=op.f('fk_message_log_inbox_event_id_webhook_inbox'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_log'))
    )
    with op.batch_alter_table('message_log', schema=None) as batch_op:
        batch_op.create_index('ix_message_log_user_created', ['line_user_id', 'created_at'], unique=False)

    op.create_table('recipient_categories',
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['delivery_categories.id'], name=op.f('fk_recipient_categories_category_id_delivery_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_user_id', 'category_id', name=op.f('pk_recipient_categories'))
    )
    op.create_table('recipient_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('has_chosen', sa.Boolean(), nullable=False),
    sa.Column('asked_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_recipient_settings_area_id_areas'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipient_settings')),
    sa.UniqueConstraint('line_user_id', name=op.f('uq_recipient_settings_line_user_id'))
    )
    op.create_table('faq_paraphrases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['faq_entries.id'], name=op.f('fk_faq_paraphrases_entry_id_faq_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_faq_paraphrases')),
    sa.UniqueConstraint('entry_id', 'text', name='uq_faq_paraphrases_entry_text')
    )
    op.create_table('inquiry_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=16), nullable=False),
    sa.Column('staff_name', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('push_retry_key', sa.String(length=36), nullable=True),
    sa.Column('pushed_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('push_error', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['inquiry_id'], ['inquiries.id'], name=op.f('fk_inquiry_messages_inquiry_id_inquiries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inquiry_messages'))
    )
    with op.batch_alter_table('inquiry_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inquiry_messages_inquiry_id'), ['inquiry_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inquiry_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inquiry_messages_inquiry_id'))

    op.drop_table('inquiry_messages')
    op.drop_table('faq_paraphrases')
    op.drop_table('recipient_settings')
    op.drop_table('recipient_categories')
    with op.batch_alter_table('message_log', schema=None) as batch_op:
        batch_op.drop_index('ix_message_log_user_created')

    op.drop_table('message_log')
    with op.batch_alter_table('inquiries', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiries_status_created')
        batch_op.drop_index('ix_inquiries_line_user_status')

    op.drop_table('inquiries')
    op.drop_table('faq_entries')
    with op.batch_alter_table('webhook_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_inbox_status_id')

    op.drop_table('webhook_inbox')
    with op.batch_alter_table('question_log', schema=None) as batch_op:
        batch_op.drop_index('ix_question_log_created_outcome')

    op.drop_table('question_log')
    op.drop_table('line_users')
    op.drop_table('faq_categories')
    op.drop_table('delivery_categories')
    op.drop_table('conversation_states')
    op.drop_table('areas')
