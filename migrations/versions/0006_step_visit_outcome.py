"""journey step visits record where the step led, so a retried walk follows the same path

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("journey_step_visits", sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=True))


def downgrade() -> None:
    op.drop_column("journey_step_visits", "outcome")
