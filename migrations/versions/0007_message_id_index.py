"""message sends are found by their message id (tracking links, provider delivery reports)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_message_sends_message_id", "message_sends", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_message_sends_message_id", table_name="message_sends")
