"""Billing: plans in the catalog, billing customers, subscriptions (entitlements), invoices,
idempotent admin API requests.

Revision ID: 0004_billing
Revises: 0003
Create Date: 2026-11-29 18:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_billing'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('products') as batch:
        batch.add_column(sa.Column('interval', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('interval_count', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('trial_days', sa.Integer(), nullable=True))
    op.create_table('billing_customers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=64), nullable=True),
    sa.Column('test_clock_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_customers')),
    sa.UniqueConstraint('email', name=op.f('uq_billing_customers_email')),
    sa.UniqueConstraint('stripe_customer_id', name=op.f('uq_billing_customers_stripe_customer_id'))
    )
    op.create_index(op.f('ix_billing_customers_test_clock_id'), 'billing_customers', ['test_clock_id'])
    op.create_table('subscriptions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_amount', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('interval', sa.String(length=8), nullable=True),
    sa.Column('interval_count', sa.Integer(), nullable=True),
    sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trial_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('grace_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clock_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('test_clock_id', sa.String(length=64), nullable=True),
    sa.Column('latest_invoice_id', sa.String(length=64), nullable=True),
    sa.Column('event_created', sa.Integer(), nullable=False),
    sa.Column('access', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscriptions'))
    )
    op.create_index('ix_subscriptions_email', 'subscriptions', ['email'])
    op.create_index(op.f('ix_subscriptions_customer_id'), 'subscriptions', ['customer_id'])
    op.create_index(op.f('ix_subscriptions_test_clock_id'), 'subscriptions', ['test_clock_id'])
    op.create_table('invoices',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('subscription_id', sa.String(length=64), nullable=True),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_due', sa.Integer(), nullable=False),
    sa.Column('amount_paid', sa.Integer(), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('billing_reason', sa.String(length=40), nullable=True),
    sa.Column('hosted_invoice_url', sa.Text(), nullable=True),
    sa.Column('invoice_pdf', sa.Text(), nullable=True),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recovered', sa.Boolean(), nullable=False),
    sa.Column('event_created', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices'))
    )
    op.create_index(op.f('ix_invoices_customer_id'), 'invoices', ['customer_id'])
    op.create_index(op.f('ix_invoices_email'), 'invoices', ['email'])
    op.create_index(op.f('ix_invoices_subscription_id'), 'invoices', ['subscription_id'])
    op.create_table('admin_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.SmallInteger(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_requests')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_admin_requests_idempotency_key'))
    )


def downgrade() -> None:
    op.drop_table('admin_requests')
    op.drop_table('invoices')
    op.drop_table('subscriptions')
    op.drop_table('billing_customers')
    with op.batch_alter_table('products') as batch:
        batch.drop_column('trial_days')
        batch.drop_column('interval_count')
        batch.drop_column('interval')
