"""network address groups

Revision ID: network_address_groups
Revises: network_0001
"""

from alembic import op
import sqlalchemy as sa

import nimbus.kernel.db


revision = 'network_address_groups'
down_revision = 'network_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network_address_group',
    sa.Column('description', sa.String(length=1024), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('network_address_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_address_group_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_address_group_project_id'), ['project_id'], unique=False)

    op.create_table('network_address_association',
    sa.Column('address_group_id', sa.String(length=36), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['address_group_id'], ['network_address_group.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('address_group_id', 'address')
    )


def downgrade() -> None:
    op.drop_table('network_address_association')
    with op.batch_alter_table('network_address_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_address_group_project_id'))
        batch_op.drop_index(batch_op.f('ix_network_address_group_name'))

    op.drop_table('network_address_group')
