"""Image tables.

Revision ID: 0002
Revises: (none; branch 'image', after identity's 0001)
Create Date: 2026-11-21 15:24:43.665813
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = '0002'
down_revision = None
branch_labels = ('image',)
# Databases made before the per-service branches recorded only '0002'; depending on
# identity's first revision keeps them current.
depends_on = '0001'


def upgrade() -> None:
    op.create_table('image_image',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('owner', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('os_hidden', sa.Boolean(), nullable=False),
    sa.Column('min_disk', sa.Integer(), nullable=False),
    sa.Column('min_ram', sa.Integer(), nullable=False),
    sa.Column('disk_format', sa.String(length=32), nullable=True),
    sa.Column('container_format', sa.String(length=32), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('virtual_size', sa.BigInteger(), nullable=True),
    sa.Column('checksum', sa.String(length=32), nullable=True),
    sa.Column('os_hash_algo', sa.String(length=64), nullable=True),
    sa.Column('os_hash_value', sa.String(length=128), nullable=True),
    sa.Column('store', sa.String(length=64), nullable=True),
    sa.Column('location', sa.String(length=1024), nullable=True),
    sa.Column('staged', nimbus.kernel.db.JSONText(), nullable=True),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('image_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_image_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_image_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_image_os_hash_value'), ['os_hash_value'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_image_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_image_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_image_visibility'), ['visibility'], unique=False)

    op.create_table('image_member',
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('member', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image_image.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'member')
    )
    with op.batch_alter_table('image_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_member_member'), ['member'], unique=False)

    op.create_table('image_property',
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image_image.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'name')
    )
    op.create_table('image_tag',
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image_image.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'value')
    )
    op.create_table('image_task',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=True),
    sa.Column('user_id', sa.String(length=255), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('input', nimbus.kernel.db.JSONText(), nullable=False),
    sa.Column('result', nimbus.kernel.db.JSONText(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', nimbus.kernel.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['image_id'], ['image_image.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('image_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_task_image_id'), ['image_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('image_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_task_image_id'))

    op.drop_table('image_task')
    op.drop_table('image_tag')
    op.drop_table('image_property')
    with op.batch_alter_table('image_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_member_member'))

    op.drop_table('image_member')
    with op.batch_alter_table('image_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_image_visibility'))
        batch_op.drop_index(batch_op.f('ix_image_image_status'))
        batch_op.drop_index(batch_op.f('ix_image_image_owner'))
        batch_op.drop_index(batch_op.f('ix_image_image_os_hash_value'))
        batch_op.drop_index(batch_op.f('ix_image_image_name'))
        batch_op.drop_index(batch_op.f('ix_image_image_created_at'))

    op.drop_table('image_image')
