"""damage reports: reports, photos, history, subscriptions, notices

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_number', sa.String(length=20), nullable=True),
    sa.Column('status', sa.Enum('draft', 'expired', 'received', 'in_progress', 'resolved', 'rejected', 'duplicate', name='report_status', native_enum=False, length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=True),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('location_skipped', sa.Boolean(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('place_text', sa.String(length=500), nullable=False),
    sa.Column('is_urgent', sa.Boolean(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('is_hidden', sa.Boolean(), nullable=False),
    sa.Column('status_notes', sa.String(length=500), nullable=False),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['reports.id'], name=op.f('fk_reports_duplicate_of_id_reports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('receipt_number', name=op.f('uq_reports_receipt_number'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_line_user_status', ['line_user_id', 'status'], unique=False)
        batch_op.create_index('ix_reports_status_category', ['status', 'category_code'], unique=False)
        batch_op.create_index('ix_reports_submitted_at', ['submitted_at'], unique=False)

    op.create_table('report_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('old_status', sa.String(length=32), nullable=True),
    sa.Column('new_status', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('public_message', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('staff_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_events_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_events'))
    )
    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_events_report_id'), ['report_id'], unique=False)

    op.create_table('report_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('line_message_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Enum('pending', 'stored', 'rejected', 'failed', 'redacted', name='report_photo_status', native_enum=False, length=32), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=100), nullable=True),
    sa.Column('next_attempt_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('stored_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_photos_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_photos')),
    sa.UniqueConstraint('line_message_id', name=op.f('uq_report_photos_line_message_id'))
    )
    with op.batch_alter_table('report_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_photos_report_id'), ['report_id'], unique=False)
        batch_op.create_index('ix_report_photos_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('report_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('receipt_number', sa.String(length=20), nullable=False),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_subscriptions_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_subscriptions')),
    sa.UniqueConstraint('report_id', 'line_user_id', name='uq_report_subscriptions_report_user')
    )
    with op.batch_alter_table('report_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_subscriptions_report_id'), ['report_id'], unique=False)

    op.create_table('report_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('receipt_number', sa.String(length=20), nullable=False),
    sa.Column('retry_key', sa.String(length=36), nullable=True),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('pushed_at', core.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('push_error', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['report_events.id'], name=op.f('fk_report_notices_event_id_report_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['photo_id'], ['report_photos.id'], name=op.f('fk_report_notices_photo_id_report_photos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_notices_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_notices'))
    )
    with op.batch_alter_table('report_notices', schema=None) as batch_op:
        batch_op.create_index('ix_report_notices_pending', ['pushed_at', 'push_error'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_notices_report_id'), ['report_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('report_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_notices_report_id'))
        batch_op.drop_index('ix_report_notices_pending')

    op.drop_table('report_notices')
    with op.batch_alter_table('report_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_subscriptions_report_id'))

    op.drop_table('report_subscriptions')
    with op.batch_alter_table('report_photos', schema=None) as batch_op:
        batch_op.drop_index('ix_report_photos_status_next')
        batch_op.drop_index(batch_op.f('ix_report_photos_report_id'))

    op.drop_table('report_photos')
    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_events_report_id'))

    op.drop_table('report_events')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('ix_reports_submitted_at')
        batch_op.drop_index('ix_reports_status_category')
        batch_op.drop_index('ix_reports_line_user_status')

    op.drop_table('reports')
