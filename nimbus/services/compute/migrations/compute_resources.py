"""compute resources: flavors, key pairs, server groups, services, nodes, aggregates, quotas

Revision ID: compute_resources
Revises: compute_0001
Create Date: 2026-12-02 06:36:32.972418
"""

from alembic import op
import sqlalchemy as sa

import nimbus.kernel.db


revision = 'compute_resources'
down_revision = 'compute_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compute_aggregate',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('uuid')
    )
    op.create_table('compute_flavor',
    sa.Column('internal_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('flavorid', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('memory_mb', sa.Integer(), nullable=False),
    sa.Column('vcpus', sa.Integer(), nullable=False),
    sa.Column('root_gb', sa.Integer(), nullable=False),
    sa.Column('ephemeral_gb', sa.Integer(), nullable=False),
    sa.Column('swap', sa.Integer(), nullable=False),
    sa.Column('rxtx_factor', sa.Float(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('internal_id'),
    sa.UniqueConstraint('flavorid'),
    sa.UniqueConstraint('name')
    )
    op.create_table('compute_flavor_seeded',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('seeded_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('compute_keypair',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=8), nullable=False),
    sa.Column('fingerprint', sa.String(length=255), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name')
    )
    with op.batch_alter_table('compute_keypair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compute_keypair_user_id'), ['user_id'], unique=False)

    op.create_table('compute_node',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('hypervisor_hostname', sa.String(length=255), nullable=False),
    sa.Column('resources', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hypervisor_hostname'),
    sa.UniqueConstraint('uuid')
    )
    with op.batch_alter_table('compute_node', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compute_node_host'), ['host'], unique=False)

    op.create_table('compute_quota',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'user_id', 'resource')
    )
    op.create_table('compute_quota_class',
    sa.Column('class_name', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('class_name', 'resource')
    )
    op.create_table('compute_server_group',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('policy', sa.String(length=32), nullable=False),
    sa.Column('rules', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('compute_server_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compute_server_group_project_id'), ['project_id'], unique=False)

    op.create_table('compute_service',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('binary', sa.String(length=255), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('forced_down', sa.Boolean(), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('last_seen_up', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('host', 'binary'),
    sa.UniqueConstraint('uuid')
    )
    op.create_table('compute_aggregate_host',
    sa.Column('aggregate_id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['aggregate_id'], ['compute_aggregate.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('aggregate_id', 'host')
    )
    op.create_table('compute_aggregate_metadata',
    sa.Column('aggregate_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['aggregate_id'], ['compute_aggregate.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('aggregate_id', 'key')
    )
    op.create_table('compute_flavor_extra_spec',
    sa.Column('flavor_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['flavor_id'], ['compute_flavor.internal_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('flavor_id', 'key')
    )
    op.create_table('compute_flavor_project',
    sa.Column('flavor_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['flavor_id'], ['compute_flavor.internal_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('flavor_id', 'project_id')
    )
    op.create_table('compute_server_group_member',
    sa.Column('server_id', sa.String(length=36), nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['compute_server_group.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('server_id')
    )
    with op.batch_alter_table('compute_server_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compute_server_group_member_group_id'), ['group_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('compute_server_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compute_server_group_member_group_id'))

    op.drop_table('compute_server_group_member')
    op.drop_table('compute_flavor_project')
    op.drop_table('compute_flavor_extra_spec')
    op.drop_table('compute_aggregate_metadata')
    op.drop_table('compute_aggregate_host')
    op.drop_table('compute_service')
    with op.batch_alter_table('compute_server_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compute_server_group_project_id'))

    op.drop_table('compute_server_group')
    op.drop_table('compute_quota_class')
    op.drop_table('compute_quota')
    with op.batch_alter_table('compute_node', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compute_node_host'))

    op.drop_table('compute_node')
    with op.batch_alter_table('compute_keypair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compute_keypair_user_id'))

    op.drop_table('compute_keypair')
    op.drop_table('compute_flavor_seeded')
    op.drop_table('compute_flavor')
    op.drop_table('compute_aggregate')
