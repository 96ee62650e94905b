"""Identity delegation: trusts (OS-TRUST) and OAuth 1.0a consumers and tokens (OS-OAUTH1).

Revision ID: identity_delegation
Revises: 0001
Create Date: 2026-12-01 22:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = 'identity_delegation'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('identity_trust',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('trustor_user_id', sa.String(length=64), nullable=False),
    sa.Column('trustee_user_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('impersonation', sa.Boolean(), nullable=False),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('remaining_uses', sa.Integer(), nullable=True),
    sa.Column('redelegated_trust_id', sa.String(length=64), nullable=True),
    sa.Column('redelegation_count', sa.Integer(), nullable=True),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_trust', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_trust_trustor_user_id'),
                              ['trustor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_trust_trustee_user_id'),
                              ['trustee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_trust_redelegated_trust_id'),
                              ['redelegated_trust_id'], unique=False)

    op.create_table('identity_trust_role',
    sa.Column('trust_id', sa.String(length=64), nullable=False),
    sa.Column('role_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['identity_trust.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trust_id', 'role_id')
    )
    op.create_table('identity_oauth_consumer',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_oauth_request_token',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('request_secret', sa.String(length=64), nullable=False),
    sa.Column('verifier', sa.String(length=64), nullable=True),
    sa.Column('authorizing_user_id', sa.String(length=64), nullable=True),
    sa.Column('requested_project_id', sa.String(length=64), nullable=False),
    sa.Column('role_ids', nimbus.kernel.db.JSONText(), nullable=True),
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['consumer_id'], ['identity_oauth_consumer.id'],
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_oauth_request_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_oauth_request_token_consumer_id'),
                              ['consumer_id'], unique=False)

    op.create_table('identity_oauth_access_token',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('access_secret', sa.String(length=64), nullable=False),
    sa.Column('authorizing_user_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('role_ids', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('consumer_id', sa.String(length=64), nullable=False),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['consumer_id'], ['identity_oauth_consumer.id'],
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_oauth_access_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_oauth_access_token_authorizing_user_id'),
                              ['authorizing_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_oauth_access_token_consumer_id'),
                              ['consumer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity_oauth_access_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_oauth_access_token_consumer_id'))
        batch_op.drop_index(batch_op.f('ix_identity_oauth_access_token_authorizing_user_id'))

    op.drop_table('identity_oauth_access_token')
    with op.batch_alter_table('identity_oauth_request_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_oauth_request_token_consumer_id'))

    op.drop_table('identity_oauth_request_token')
    op.drop_table('identity_oauth_consumer')
    op.drop_table('identity_trust_role')
    with op.batch_alter_table('identity_trust', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_trust_redelegated_trust_id'))
        batch_op.drop_index(batch_op.f('ix_identity_trust_trustee_user_id'))
        batch_op.drop_index(batch_op.f('ix_identity_trust_trustor_user_id'))

    op.drop_table('identity_trust')
