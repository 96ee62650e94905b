"""Image cache entries (per node) and the record of in-flight image data transfers.

Revision ID: image_cache
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import nimbus.kernel.db

revision = "image_cache"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "image_cache_entry",
        sa.Column("node", sa.String(length=255), nullable=False),
        sa.Column("image_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.String(length=32), nullable=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("queued_at", nimbus.kernel.db.UTCDateTime(), nullable=False),
        sa.Column("last_accessed", nimbus.kernel.db.UTCDateTime(), nullable=True),
        sa.Column("last_modified", nimbus.kernel.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("node", "image_id"),
    )
    op.create_table(
        "image_transfer",
        sa.Column("image_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("node", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", nimbus.kernel.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["image_image.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("image_id"),
    )
    with op.batch_alter_table("image_transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_transfer_node"), ["node"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("image_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_image_transfer_node"))
    op.drop_table("image_transfer")
    op.drop_table("image_cache_entry")
