"""the charts' counts: hourly counts per campaign, journey and list, the fold's mark, the messaging events
by when they were recorded, and the journey a send came from

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGING_EVENTS = (
    "email.sent", "sms.sent", "webhook.executed", "email.delivered", "sms.delivered", "email.opened",
    "email.clicked", "email.bounced", "email.complained", "sms.failed",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "hourly_counts",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("project_id", sa.Uuid(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "metric", "hour"),
    )
    op.create_table(
        "fold_marks",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("message_sends", sa.Column("journey_id", sa.Uuid(), nullable=True))
    names = ", ".join(repr(n) for n in MESSAGING_EVENTS)
    op.create_index(
        "ix_events_messaging_recorded",
        "events",
        ["recorded_at"],
        postgresql_where=sa.text(f"source = 'system' AND name IN ({names})"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_messaging_recorded", "events")
    op.drop_column("message_sends", "journey_id")
    op.drop_table("fold_marks")
    op.drop_table("hourly_counts")
