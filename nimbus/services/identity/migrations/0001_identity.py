"""Identity tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 15:13:02.061309
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = '0001'
down_revision = None
branch_labels = ('identity',)
depends_on = None


def upgrade() -> None:
    op.create_table('identity_credential',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('encrypted_blob', sa.LargeBinary(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_credential_user_id'), ['user_id'], unique=False)

    op.create_table('identity_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_group',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain_id', 'name')
    )
    with op.batch_alter_table('identity_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_group_domain_id'), ['domain_id'], unique=False)

    op.create_table('identity_limit',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('domain_id', sa.String(length=64), nullable=True),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('region_id', sa.String(length=255), nullable=True),
    sa.Column('resource_name', sa.String(length=255), nullable=False),
    sa.Column('resource_limit', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_limit_project_id'), ['project_id'], unique=False)

    op.create_table('identity_project',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('is_domain', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('options', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain_id', 'name')
    )
    with op.batch_alter_table('identity_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_project_domain_id'), ['domain_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_project_parent_id'), ['parent_id'], unique=False)

    op.create_table('identity_region',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('parent_region_id', sa.String(length=255), nullable=True),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_registered_limit',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('region_id', sa.String(length=255), nullable=True),
    sa.Column('resource_name', sa.String(length=255), nullable=False),
    sa.Column('default_limit', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_revoked_token',
    sa.Column('audit_id', sa.String(length=32), nullable=False),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('audit_id')
    )
    with op.batch_alter_table('identity_revoked_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_revoked_token_expires_at'), ['expires_at'], unique=False)

    op.create_table('identity_role',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('options', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain_id', 'name')
    )
    op.create_table('identity_service',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('identity_user',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('default_project_id', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('options', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('last_active_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('failed_auth_count', sa.Integer(), nullable=False),
    sa.Column('failed_auth_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('tokens_valid_after', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain_id', 'name')
    )
    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_user_domain_id'), ['domain_id'], unique=False)

    op.create_table('identity_access_rule',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=128), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_access_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_access_rule_user_id'), ['user_id'], unique=False)

    op.create_table('identity_application_credential',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('unrestricted', sa.Boolean(), nullable=False),
    sa.Column('roles', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name')
    )
    with op.batch_alter_table('identity_application_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_application_credential_user_id'), ['user_id'], unique=False)

    op.create_table('identity_assignment',
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('role_id', sa.String(length=64), nullable=False),
    sa.Column('inherited', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['identity_role.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('type', 'actor_id', 'target_id', 'role_id', 'inherited')
    )
    with op.batch_alter_table('identity_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_assignment_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_identity_assignment_role_id'), ['role_id'], unique=False)
        batch_op.create_index('ix_identity_assignment_target', ['target_id', 'actor_id'], unique=False)

    op.create_table('identity_endpoint',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('interface', sa.String(length=8), nullable=False),
    sa.Column('region_id', sa.String(length=255), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('extra', nimbus.kernel.db.JSONText(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['identity_service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_endpoint_service_id'), ['service_id'], unique=False)

    op.create_table('identity_group_membership',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['identity_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'group_id')
    )
    with op.batch_alter_table('identity_group_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_group_membership_group_id'), ['group_id'], unique=False)

    op.create_table('identity_implied_role',
    sa.Column('prior_role_id', sa.String(length=64), nullable=False),
    sa.Column('implied_role_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['implied_role_id'], ['identity_role.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prior_role_id'], ['identity_role.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('prior_role_id', 'implied_role_id')
    )
    op.create_table('identity_password',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.Column('self_service', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['identity_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('identity_password', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_password_user_id'), ['user_id'], unique=False)

    op.create_table('identity_project_tag',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['identity_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'name')
    )
    op.create_table('identity_app_cred_access_rule',
    sa.Column('application_credential_id', sa.String(length=64), nullable=False),
    sa.Column('access_rule_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['access_rule_id'], ['identity_access_rule.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['application_credential_id'], ['identity_application_credential.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_credential_id', 'access_rule_id')
    )


def downgrade() -> None:
    op.drop_table('identity_app_cred_access_rule')
    op.drop_table('identity_project_tag')
    with op.batch_alter_table('identity_password', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_password_user_id'))

    op.drop_table('identity_password')
    op.drop_table('identity_implied_role')
    with op.batch_alter_table('identity_group_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_group_membership_group_id'))

    op.drop_table('identity_group_membership')
    with op.batch_alter_table('identity_endpoint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_endpoint_service_id'))

    op.drop_table('identity_endpoint')
    with op.batch_alter_table('identity_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_assignment_target')
        batch_op.drop_index(batch_op.f('ix_identity_assignment_role_id'))
        batch_op.drop_index(batch_op.f('ix_identity_assignment_actor_id'))

    op.drop_table('identity_assignment')
    with op.batch_alter_table('identity_application_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_application_credential_user_id'))

    op.drop_table('identity_application_credential')
    with op.batch_alter_table('identity_access_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_access_rule_user_id'))

    op.drop_table('identity_access_rule')
    with op.batch_alter_table('identity_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_user_domain_id'))

    op.drop_table('identity_user')
    op.drop_table('identity_service')
    op.drop_table('identity_role')
    with op.batch_alter_table('identity_revoked_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_revoked_token_expires_at'))

    op.drop_table('identity_revoked_token')
    op.drop_table('identity_registered_limit')
    op.drop_table('identity_region')
    with op.batch_alter_table('identity_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_project_parent_id'))
        batch_op.drop_index(batch_op.f('ix_identity_project_domain_id'))

    op.drop_table('identity_project')
    with op.batch_alter_table('identity_limit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_limit_project_id'))

    op.drop_table('identity_limit')
    with op.batch_alter_table('identity_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_group_domain_id'))

    op.drop_table('identity_group')
    op.drop_table('identity_generation')
    with op.batch_alter_table('identity_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_credential_user_id'))

    op.drop_table('identity_credential')
