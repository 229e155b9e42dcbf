"""The mailbox keeps each email's HTML part beside its text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('mailbox', sa.Column('html', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mailbox') as batch:
        batch.drop_column('html')
