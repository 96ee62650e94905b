"""network qos policies and rules

Revision ID: network_qos
Revises: network_0001
"""

from alembic import op
import sqlalchemy as sa

import nimbus.kernel.db


revision = 'network_qos'
down_revision = 'network_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network_qos_policy',
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.Integer(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('network_qos_policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_qos_policy_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_network_qos_policy_project_id'), ['project_id'], unique=False)
    op.create_table('network_qos_rule',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('policy_id', sa.String(length=36), nullable=False),
    sa.Column('rule_type', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('max_kbps', sa.Integer(), nullable=True),
    sa.Column('max_burst_kbps', sa.Integer(), nullable=True),
    sa.Column('dscp_mark', sa.Integer(), nullable=True),
    sa.Column('min_kbps', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['policy_id'], ['network_qos_policy.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('policy_id', 'rule_type', 'direction', name='uq_network_qos_rule')
    )
    with op.batch_alter_table('network_qos_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_qos_rule_policy_id'), ['policy_id'], unique=False)


def downgrade() -> None:
    op.drop_table('network_qos_rule')
    op.drop_table('network_qos_policy')
