"""network agents

Revision ID: network_agents
Revises: network_0001
"""

from alembic import op
import sqlalchemy as sa

import nimbus.kernel.db


revision = 'network_agents'
down_revision = 'network_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('network_agent',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('agent_type', sa.String(length=255), nullable=False),
    sa.Column('binary', sa.String(length=255), nullable=False),
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('configurations', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('started_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('heartbeat_timestamp', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agent_type', 'host', name='uq_network_agent')
    )
    with op.batch_alter_table('network_agent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_agent_host'), ['host'], unique=False)
    op.create_table('network_dhcp_binding',
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['network_agent.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['network_id'], ['network_network.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'agent_id')
    )
    op.create_table('network_dhcp_scheduled',
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['network_network.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id')
    )


def downgrade() -> None:
    op.drop_table('network_dhcp_scheduled')
    op.drop_table('network_dhcp_binding')
    op.drop_table('network_agent')
