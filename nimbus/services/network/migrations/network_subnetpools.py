"""network subnet pools and address scopes

Revision ID: network_subnetpools
Revises: network_0001
Create Date: 2026-12-02 01:55:00.000000
"""

from alembic import op
import sqlalchemy as sa

import nimbus.kernel.db


revision = 'network_subnetpools'
down_revision = 'network_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network_address_scope',
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('network_address_scope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_address_scope_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_address_scope_project_id'), ['project_id'], unique=False)

    op.create_table('network_subnetpool',
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('default_prefixlen', sa.Integer(), nullable=False),
    sa.Column('min_prefixlen', sa.Integer(), nullable=False),
    sa.Column('max_prefixlen', sa.Integer(), nullable=False),
    sa.Column('default_quota', sa.Integer(), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('address_scope_id', sa.String(length=36), nullable=True),
    sa.Column('hash', sa.String(length=36), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('network_subnetpool', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_subnetpool_address_scope_id'), ['address_scope_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_subnetpool_is_default'), ['is_default'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_subnetpool_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_subnetpool_project_id'), ['project_id'], unique=False)

    op.create_table('network_subnetpool_prefix',
    sa.Column('subnetpool_id', sa.String(length=36), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['subnetpool_id'], ['network_subnetpool.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subnetpool_id', 'cidr')
    )


def downgrade() -> None:
    op.drop_table('network_subnetpool_prefix')
    with op.batch_alter_table('network_subnetpool', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_subnetpool_project_id'))
        batch_op.drop_index(batch_op.f('ix_network_subnetpool_name'))
        batch_op.drop_index(batch_op.f('ix_network_subnetpool_is_default'))
        batch_op.drop_index(batch_op.f('ix_network_subnetpool_address_scope_id'))

    op.drop_table('network_subnetpool')
    with op.batch_alter_table('network_address_scope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_address_scope_project_id'))
        batch_op.drop_index(batch_op.f('ix_network_address_scope_name'))

    op.drop_table('network_address_scope')
