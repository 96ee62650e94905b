"""Image tasks: indexes for GET /v2/tasks (a project's tasks, newest first).

Revision ID: image_tasks
Revises: 0002
Create Date: 2026-12-01 23:00:00.000000
"""

from alembic import op

revision = 'image_tasks'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('image_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_task_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_task_created_at'), ['created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('image_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_task_created_at'))
        batch_op.drop_index(batch_op.f('ix_image_task_owner'))
