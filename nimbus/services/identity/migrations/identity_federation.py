"""Federation tables: identity providers and their remote ids, mappings, protocols,
service providers, and the links from federated users to their shadow users.

Revision ID: identity_federation
Revises: 0001
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = 'identity_federation'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identity_federation_idp',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('authorization_ttl', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_federation_idp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_federation_idp_domain_id'), ['domain_id'], unique=False)

    op.create_table('identity_federation_mapping',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('rules', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('schema_version', sa.String(length=5), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_federation_sp',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('auth_url', sa.String(length=256), nullable=False),
    sa.Column('sp_url', sa.String(length=256), nullable=False),
    sa.Column('relay_state_prefix', sa.String(length=256), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_federation_remote_id',
    sa.Column('remote_id', sa.String(length=255), nullable=False),
    sa.Column('idp_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['idp_id'], ['identity_federation_idp.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('remote_id')
    )
    with op.batch_alter_table('identity_federation_remote_id', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_federation_remote_id_idp_id'), ['idp_id'], unique=False)

    op.create_table('identity_federation_protocol',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('idp_id', sa.String(length=64), nullable=False),
    sa.Column('mapping_id', sa.String(length=64), nullable=False),
    sa.Column('remote_id_attribute', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['idp_id'], ['identity_federation_idp.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', 'idp_id')
    )
    op.create_table('identity_federated_user',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('idp_id', sa.String(length=64), nullable=False),
    sa.Column('protocol_id', sa.String(length=64), nullable=False),
    sa.Column('unique_id', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['idp_id'], ['identity_federation_idp.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idp_id', 'protocol_id', 'unique_id')
    )
    with op.batch_alter_table('identity_federated_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_federated_user_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity_federated_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_federated_user_user_id'))

    op.drop_table('identity_federated_user')
    op.drop_table('identity_federation_protocol')
    with op.batch_alter_table('identity_federation_remote_id', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_federation_remote_id_idp_id'))

    op.drop_table('identity_federation_remote_id')
    op.drop_table('identity_federation_sp')
    op.drop_table('identity_federation_mapping')
    with op.batch_alter_table('identity_federation_idp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_federation_idp_domain_id'))

    op.drop_table('identity_federation_idp')
