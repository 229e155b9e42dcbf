"""Server-side admin sessions: they expire (idle and absolute) and sign-out revokes them.

Revision ID: 0005
Revises: 0004_billing
Create Date: 2026-11-29 18:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004_billing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_admin_sessions_last_seen_at'), 'admin_sessions', ['last_seen_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_admin_sessions_last_seen_at'), table_name='admin_sessions')
    op.drop_table('admin_sessions')
