"""team accounts: accounts, sessions, memberships, invitation and reset links, personal tokens, named
project keys (the projects' two keys move into them), and the audit log

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("instance_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TIME, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
    )
    op.create_index("uq_accounts_email", "accounts", [sa.text("lower(email)")], unique=True)
    op.create_table(
        "account_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "account_id",
            sa.Uuid(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE", name="fk_account_sessions_account_id_accounts"),
            nullable=False,
        ),  # fmt: skip
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("last_seen_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_account_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_account_sessions_token_hash"),
    )
    op.create_index("ix_account_sessions_account_id", "account_sessions", ["account_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_email_at", "login_failures", ["email", "at"])
    op.create_table(
        "project_members",
        sa.Column(
            "project_id",
            sa.Uuid(),
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_project_members_project_id_projects"),
            nullable=False,
        ),  # fmt: skip
        sa.Column(
            "account_id",
            sa.Uuid(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE", name="fk_project_members_account_id_accounts"),
            nullable=False,
        ),  # fmt: skip
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("project_id", "account_id", name="pk_project_members"),
    )
    op.create_index("ix_project_members_account", "project_members", ["account_id"])
    op.create_table(
        "account_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column(
            "account_id",
            sa.Uuid(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE", name="fk_account_links_account_id_accounts"),
            nullable=True,
        ),  # fmt: skip
        sa.Column(
            "project_id",
            sa.Uuid(),
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_account_links_project_id_projects"),
            nullable=True,
        ),  # fmt: skip
        sa.Column("role", sa.String(10), nullable=True),
        sa.Column("created_by", sa.String(400), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("used_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_account_links"),
    )
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "account_id",
            sa.Uuid(),
            sa.ForeignKey("accounts.id", ondelete="CASCADE", name="fk_account_tokens_account_id_accounts"),
            nullable=False,
        ),  # fmt: skip
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_account_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_account_tokens_token_hash"),
    )
    op.create_index("ix_account_tokens_account_id", "account_tokens", ["account_id"])
    op.create_table(
        "project_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "project_id",
            sa.Uuid(),
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_project_keys_project_id_projects"),
            nullable=False,
        ),  # fmt: skip
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.Column("created_by", sa.String(400), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_project_keys"),
        sa.UniqueConstraint("key_hash", name="uq_project_keys_key_hash"),
    )
    op.create_index("ix_project_keys_project", "project_keys", ["project_id", "created_at"])
    # The two keys every project had become its `default` keys (their plain text was never stored).
    op.execute(
        "INSERT INTO project_keys (id, project_id, name, kind, prefix, key_hash, created_at) "
        "SELECT gen_random_uuid(), id, 'default', 'public', 'pk_', public_key_hash, created_at FROM projects "
        "UNION ALL "
        "SELECT gen_random_uuid(), id, 'default', 'secret', 'sk_', secret_key_hash, created_at FROM projects"
    )
    op.drop_column("projects", "public_key_hash")
    op.drop_column("projects", "secret_key_hash")
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column(
            "project_id",
            sa.Uuid(),
            sa.ForeignKey("projects.id", ondelete="CASCADE", name="fk_audit_entries_project_id_projects"),
            nullable=False,
        ),  # fmt: skip
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor_kind", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_label", sa.String(400), nullable=False),
        sa.Column("action", sa.String(300), nullable=False),
        sa.Column("object_type", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=True),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_entries"),
    )
    op.create_index("ix_audit_entries_project", "audit_entries", ["project_id", "id"])
    op.create_index("ix_audit_entries_object", "audit_entries", ["project_id", "object_type", "object_id", "id"])
    op.create_index("ix_audit_entries_actor", "audit_entries", ["project_id", "actor_id", "id"])


def downgrade() -> None:
    op.drop_table("audit_entries")
    op.add_column("projects", sa.Column("public_key_hash", sa.String(64), nullable=True))
    op.add_column("projects", sa.Column("secret_key_hash", sa.String(64), nullable=True))
    # The oldest default key of each kind goes back to its project.
    for kind in ("public", "secret"):
        op.execute(
            f"UPDATE projects p SET {kind}_key_hash = k.key_hash FROM ("
            f"SELECT DISTINCT ON (project_id) project_id, key_hash FROM project_keys WHERE kind = '{kind}' "
            "AND revoked_at IS NULL ORDER BY project_id, created_at) k WHERE k.project_id = p.id"
        )
    op.drop_table("project_keys")
    op.drop_table("account_tokens")
    op.drop_table("account_links")
    op.drop_table("project_members")
    op.drop_table("login_failures")
    op.drop_table("account_sessions")
    op.drop_table("accounts")
