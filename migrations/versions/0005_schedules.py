"""schedules: definitions with offsets, assignments, due fires, anniversary indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 11:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domain.anniversary_index import MONTH_DAY, TIME_OF_DAY

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANNIVERSARY_TABLES = ("users", "organizations")


def upgrade() -> None:
    op.create_table(
        "schedule_definitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("offsets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_schedule_definitions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_definitions")),
        sa.UniqueConstraint("project_id", "entity", "name", name=op.f("uq_schedule_definitions_project_id")),
    )  # fmt: skip
    op.create_table(
        "schedule_assignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("definition_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interval", sa.String(length=40), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("pause_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_schedule_assignments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"], ["schedule_definitions.id"],
            name=op.f("fk_schedule_assignments_definition_id_schedule_definitions"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_schedule_assignments_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_schedule_assignments_organization_id_organizations"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_assignments")),
        sa.UniqueConstraint(
            "definition_id", "user_id", "organization_id", name=op.f("uq_schedule_assignments_definition_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )  # fmt: skip
    op.create_index("ix_schedule_assignments_user_id", "schedule_assignments", ["user_id"])
    op.create_index("ix_schedule_assignments_organization_id", "schedule_assignments", ["organization_id"])
    op.create_table(
        "schedule_fires",
        sa.Column("assignment_id", sa.Uuid(), nullable=False),
        sa.Column("offset_id", sa.Uuid(), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("base_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"], ["schedule_assignments.id"],
            name=op.f("fk_schedule_fires_assignment_id_schedule_assignments"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assignment_id", "offset_id", name=op.f("pk_schedule_fires")),
    )  # fmt: skip
    op.create_index("ix_schedule_fires_fire_at", "schedule_fires", ["fire_at"])
    op.create_table(
        "schedule_cursors",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schedule_cursors")),
    )
    for table in ANNIVERSARY_TABLES:
        key = f"{MONTH_DAY.format(c='created_at')}, {TIME_OF_DAY.format(c='created_at')}"
        op.execute(f"CREATE INDEX ix_{table}_anniversary ON {table} ({key})")


def downgrade() -> None:
    for table in ANNIVERSARY_TABLES:
        op.execute(f"DROP INDEX ix_{table}_anniversary")
    op.drop_table("schedule_cursors")
    op.drop_index("ix_schedule_fires_fire_at", table_name="schedule_fires")
    op.drop_table("schedule_fires")
    op.drop_index("ix_schedule_assignments_organization_id", table_name="schedule_assignments")
    op.drop_index("ix_schedule_assignments_user_id", table_name="schedule_assignments")
    op.drop_table("schedule_assignments")
    op.drop_table("schedule_definitions")
