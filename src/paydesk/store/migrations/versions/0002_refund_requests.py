"""Refund requests started from paydesk (admin page, CLI).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refund_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('request_token', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stripe_refund_id', sa.String(length=255), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                            name=op.f('fk_refund_requests_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_requests')),
    sa.UniqueConstraint('order_id', 'n', name=op.f('uq_refund_requests_order_id')),
    sa.UniqueConstraint('request_token', name=op.f('uq_refund_requests_request_token'))
    )
    op.create_index(op.f('ix_refund_requests_order_id'), 'refund_requests', ['order_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_refund_requests_order_id'), table_name='refund_requests')
    op.drop_table('refund_requests')
