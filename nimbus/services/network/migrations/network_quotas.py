"""network quotas

Revision ID: network_quotas
Revises: network_0001
"""

from alembic import op
import sqlalchemy as sa


revision = 'network_quotas'
down_revision = 'network_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network_quota',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource')
    )


def downgrade() -> None:
    op.drop_table('network_quota')
