"""Identity: domain-specific configuration and the public ids of directory users and groups.

Revision ID: identity_domain_config
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = 'identity_domain_config'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identity_domain_config',
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('group_name', sa.String(length=255), nullable=False),
    sa.Column('option_name', sa.String(length=255), nullable=False),
    sa.Column('value', nimbus.kernel.db.JSONText(), nullable=True),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('encrypted_value', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('domain_id', 'group_name', 'option_name')
    )
    op.create_table('identity_id_mapping',
    sa.Column('public_id', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('local_id', sa.String(length=255), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('public_id'),
    sa.UniqueConstraint('domain_id', 'local_id', 'entity_type')
    )
    with op.batch_alter_table('identity_id_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_id_mapping_domain_id'), ['domain_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity_id_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_id_mapping_domain_id'))
    op.drop_table('identity_id_mapping')
    op.drop_table('identity_domain_config')
