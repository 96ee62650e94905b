"""Identity: endpoint groups and project-endpoint associations (OS-EP-FILTER), policy
blobs (/v3/policies) with their endpoint associations (OS-ENDPOINT-POLICY), and
revocation events (OS-REVOKE).

Revision ID: identity_ep_filter
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = 'identity_ep_filter'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identity_endpoint_group',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('filters', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_project_endpoint',
    sa.Column('endpoint_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('endpoint_id', 'project_id')
    )
    with op.batch_alter_table('identity_project_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_project_endpoint_project_id'),
                              ['project_id'], unique=False)

    op.create_table('identity_project_endpoint_group',
    sa.Column('endpoint_group_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_group_id'], ['identity_endpoint_group.id'],
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('endpoint_group_id', 'project_id')
    )
    with op.batch_alter_table('identity_project_endpoint_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_project_endpoint_group_project_id'),
                              ['project_id'], unique=False)

    op.create_table('identity_policy',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('blob', sa.Text(), nullable=False),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_policy_association',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('policy_id', sa.String(length=64), nullable=False),
    sa.Column('endpoint_id', sa.String(length=64), nullable=True),
    sa.Column('service_id', sa.String(length=64), nullable=True),
    sa.Column('region_id', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('endpoint_id', 'service_id', 'region_id')
    )
    with op.batch_alter_table('identity_policy_association', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_policy_association_policy_id'),
                              ['policy_id'], unique=False)

    op.create_table('identity_revocation_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=True),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('role_id', sa.String(length=64), nullable=True),
    sa.Column('trust_id', sa.String(length=64), nullable=True),
    sa.Column('consumer_id', sa.String(length=64), nullable=True),
    sa.Column('access_token_id', sa.String(length=64), nullable=True),
    sa.Column('issued_before', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('audit_id', sa.String(length=32), nullable=True),
    sa.Column('audit_chain_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_revocation_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_revocation_event_issued_before'),
                              ['issued_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_revocation_event_revoked_at'),
                              ['revoked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity_revocation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_revocation_event_revoked_at'))
        batch_op.drop_index(batch_op.f('ix_identity_revocation_event_issued_before'))
    op.drop_table('identity_revocation_event')
    with op.batch_alter_table('identity_policy_association', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_policy_association_policy_id'))
    op.drop_table('identity_policy_association')
    op.drop_table('identity_policy')
    with op.batch_alter_table('identity_project_endpoint_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_project_endpoint_group_project_id'))
    op.drop_table('identity_project_endpoint_group')
    with op.batch_alter_table('identity_project_endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_project_endpoint_project_id'))
    op.drop_table('identity_project_endpoint')
    op.drop_table('identity_endpoint_group')
