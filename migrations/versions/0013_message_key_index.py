"""message sends found by their message id's key, whatever domain the id carries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_message_sends_message_id", table_name="message_sends")
    op.create_index("ix_message_sends_message_key", "message_sends", [sa.text("split_part(message_id, '@', 1)")])


def downgrade() -> None:
    op.drop_index("ix_message_sends_message_key", table_name="message_sends")
    op.create_index("ix_message_sends_message_id", "message_sends", ["message_id"])
