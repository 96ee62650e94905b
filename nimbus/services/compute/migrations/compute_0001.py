"""Compute branch base (no tables: each family adds its own revision on top)

Revision ID: compute_0001
Revises: (none; branch compute, after identity 0001)
Create Date: 2026-12-02 07:00:00
"""

revision = 'compute_0001'
down_revision = None
branch_labels = ('compute',)
depends_on = '0001'


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
