"""find users by email (any case) or phone within a project, and a user's journey runs, newest first

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_email", "users", ["project_id", sa.text("lower(email)")])
    op.create_index("ix_users_phone", "users", ["project_id", "phone"])
    op.create_index("ix_journey_runs_user_created", "journey_runs", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_journey_runs_user_created", "journey_runs")
    op.drop_index("ix_users_phone", "users")
    op.drop_index("ix_users_email", "users")
