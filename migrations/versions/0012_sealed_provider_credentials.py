"""provider credentials sealed at rest, apart from the provider's other settings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("providers", sa.Column("sealed_credentials", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("providers", "sealed_credentials")
