"""schedule names of any text up to 245 characters (their events are `scheduled.<name>`, at most 255)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("schedule_definitions", "name", type_=sa.String(245), existing_type=sa.String(200))


def downgrade() -> None:
    op.alter_column("schedule_definitions", "name", type_=sa.String(200), existing_type=sa.String(245))
