"""The inbox's queue index: received events in Stripe's order, without a sort of the backlog.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:50:00
"""

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_inbox_events_queue', 'inbox_events',
                    ['status', 'stripe_created', 'received_at'])
    # The queue index starts with status, so the old one only slowed every insert down.
    op.drop_index('ix_inbox_events_status', table_name='inbox_events')


def downgrade() -> None:
    op.create_index('ix_inbox_events_status', 'inbox_events', ['status'])
    op.drop_index('ix_inbox_events_queue', table_name='inbox_events')
