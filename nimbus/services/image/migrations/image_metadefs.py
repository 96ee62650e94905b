"""Image metadata definitions: namespaces, objects, properties, tags, resource types.

Revision ID: image_metadefs
Revises: 0002
Create Date: 2026-12-01 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = 'image_metadefs'
down_revision = '0002'
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [sa.Column('created_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
            sa.Column('updated_at', nimbus.kernel.db.UTCDateTime(), nullable=False)]


def _owned_by_namespace() -> list[sa.Column]:
    return [sa.Column('id', sa.String(length=36), nullable=False),
            sa.Column('namespace_id', sa.String(length=36), nullable=False),
            sa.Column('name', sa.String(length=80), nullable=False)]


def _namespace_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['namespace_id'], ['image_metadef_namespace.id'],
                                   ondelete='CASCADE')


def upgrade() -> None:
    op.create_table('image_metadef_namespace',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('namespace', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('visibility', sa.String(length=32), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=True),
    *_stamps(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('namespace')
    )
    with op.batch_alter_table('image_metadef_namespace', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_metadef_namespace_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_metadef_namespace_owner'), ['owner'], unique=False)

    op.create_table('image_metadef_object',
    *_owned_by_namespace(),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('required', nimbus.kernel.db.JSONText(), nullable=True),
    sa.Column('properties', nimbus.kernel.db.JSONText(), nullable=True),
    *_stamps(),
    _namespace_fk(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('namespace_id', 'name')
    )
    op.create_table('image_metadef_property',
    *_owned_by_namespace(),
    sa.Column('schema', nimbus.kernel.db.JSONText(), nullable=False),
    *_stamps(),
    _namespace_fk(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('namespace_id', 'name')
    )
    op.create_table('image_metadef_tag',
    *_owned_by_namespace(),
    *_stamps(),
    _namespace_fk(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('namespace_id', 'name')
    )
    op.create_table('image_metadef_resource_type',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    *_stamps(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('image_metadef_namespace_resource_type',
    sa.Column('namespace_id', sa.String(length=36), nullable=False),
    sa.Column('resource_type_id', sa.String(length=36), nullable=False),
    sa.Column('prefix', sa.String(length=80), nullable=True),
    sa.Column('properties_target', sa.String(length=80), nullable=True),
    *_stamps(),
    _namespace_fk(),
    sa.ForeignKeyConstraint(['resource_type_id'], ['image_metadef_resource_type.id'], ),
    sa.PrimaryKeyConstraint('namespace_id', 'resource_type_id')
    )
    with op.batch_alter_table('image_metadef_namespace_resource_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_metadef_namespace_resource_type_resource_type_id'), ['resource_type_id'], unique=False)

    op.create_table('image_metadef_seeded',
    sa.Column('namespace', sa.String(length=80), nullable=False),
    sa.Column('seeded_at', nimbus.kernel.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('namespace')
    )


def downgrade() -> None:
    op.drop_table('image_metadef_seeded')
    with op.batch_alter_table('image_metadef_namespace_resource_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_metadef_namespace_resource_type_resource_type_id'))
    op.drop_table('image_metadef_namespace_resource_type')
    op.drop_table('image_metadef_resource_type')
    op.drop_table('image_metadef_tag')
    op.drop_table('image_metadef_property')
    op.drop_table('image_metadef_object')
    with op.batch_alter_table('image_metadef_namespace', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_metadef_namespace_owner'))
        batch_op.drop_index(batch_op.f('ix_image_metadef_namespace_created_at'))
    op.drop_table('image_metadef_namespace')
