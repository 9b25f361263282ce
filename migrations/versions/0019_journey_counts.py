"""a journey's live counts kept by triggers: entered, active, completed, exited, and per step the times
runs reached it, the runs waiting there and the runs that exited there, and per version the runs that
entered with it and are still inside: the console's counts read a few rows, not every run

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 18:05:00

The counts are spread over 16 shards per key (by the run's id), so runs walking the same step at once
seldom wait on one another's row; a reader sums the shards. Statement-level triggers with transition
tables add a statement's changes in one upsert, in key order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What one run counts under: `entered` and `version:<n>` always; `active`, `open:<n>` and
# `waiting:<step>` while open; its status once ended, and `exited:<step>` where it exited.
RUN_KEYS = """
CREATE FUNCTION journey_run_keys(ended_at timestamptz, status text, current_step text, version integer)
RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['entered', 'version:' || version] || CASE
    WHEN ended_at IS NOT NULL AND status = 'exited' AND current_step IS NOT NULL
      THEN ARRAY[status, 'exited:' || current_step]
    WHEN ended_at IS NOT NULL THEN ARRAY[status]
    WHEN current_step IS NULL THEN ARRAY['active', 'open:' || version]
    ELSE ARRAY['active', 'open:' || version, 'waiting:' || current_step]
  END
$$
"""

# A statement's changed runs (`signed`: journey_id, id, sign, keys), summed per key and shard.
SUMMED = """
    SELECT journey_id, key, (hashtext(id::text) & 15)::smallint AS shard, sum(sign)::bigint AS n
    FROM signed, unnest(keys) AS key GROUP BY 1, 2, 3 HAVING sum(sign) <> 0
"""
ADD = """
    INSERT INTO journey_counts (journey_id, key, shard, n)
    SELECT journey_id, key, shard, n FROM summed ORDER BY 1, 2, 3
    ON CONFLICT (journey_id, key, shard) DO UPDATE SET n = journey_counts.n + excluded.n;
"""
# A delete only updates: a journey being deleted takes its counts with it, and nothing may add them back.
SUBTRACT = """
    UPDATE journey_counts c SET n = c.n + summed.n FROM summed
    WHERE c.journey_id = summed.journey_id AND c.key = summed.key AND c.shard = summed.shard;
"""


def counting(name: str, signed: str, write: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH signed AS ({signed}), summed AS ({SUMMED}) {write}
  RETURN NULL;
END
$$
"""


RUN = (
    "SELECT journey_id, id, {sign} AS sign, journey_run_keys(ended_at, status, current_step, version) AS keys"
    " FROM {rows}"
)
VISIT = "SELECT journey_id, run_id AS id, {sign} AS sign, ARRAY['reached:' || step_id] AS keys FROM {rows}"
FUNCTIONS = [
    counting("journey_runs_inserted", RUN.format(sign=1, rows="new_runs"), ADD),
    counting("journey_runs_updated",
             f"{RUN.format(sign=1, rows='new_runs')} UNION ALL {RUN.format(sign=-1, rows='old_runs')}", ADD),
    counting("journey_runs_deleted", RUN.format(sign=-1, rows="old_runs"), SUBTRACT),
    counting("journey_visits_inserted", VISIT.format(sign=1, rows="new_visits"), ADD),
    counting("journey_visits_deleted", VISIT.format(sign=-1, rows="old_visits"), SUBTRACT),
]  # fmt: skip

TRIGGERS = [
    "CREATE TRIGGER journey_runs_inserted AFTER INSERT ON journey_runs REFERENCING NEW TABLE AS new_runs"
    " FOR EACH STATEMENT EXECUTE FUNCTION journey_runs_inserted()",
    "CREATE TRIGGER journey_runs_updated AFTER UPDATE ON journey_runs REFERENCING OLD TABLE AS old_runs"
    " NEW TABLE AS new_runs FOR EACH STATEMENT EXECUTE FUNCTION journey_runs_updated()",
    "CREATE TRIGGER journey_runs_deleted AFTER DELETE ON journey_runs REFERENCING OLD TABLE AS old_runs"
    " FOR EACH STATEMENT EXECUTE FUNCTION journey_runs_deleted()",
    "CREATE TRIGGER journey_visits_inserted AFTER INSERT ON journey_step_visits REFERENCING NEW TABLE AS new_visits"
    " FOR EACH STATEMENT EXECUTE FUNCTION journey_visits_inserted()",
    "CREATE TRIGGER journey_visits_deleted AFTER DELETE ON journey_step_visits REFERENCING OLD TABLE AS old_visits"
    " FOR EACH STATEMENT EXECUTE FUNCTION journey_visits_deleted()",
]

BACKFILL = """
INSERT INTO journey_counts (journey_id, key, shard, n)
SELECT journey_id, key, shard, sum(n) FROM (
  SELECT journey_id, key, (hashtext(id::text) & 15) AS shard, 1 AS n
  FROM journey_runs, unnest(journey_run_keys(ended_at, status, current_step, version)) AS key
  UNION ALL
  SELECT journey_id, 'reached:' || step_id, (hashtext(run_id::text) & 15), 1 FROM journey_step_visits
) c GROUP BY 1, 2, 3
"""


def upgrade() -> None:
    op.create_table(
        "journey_counts",
        sa.Column("journey_id", sa.Uuid(), sa.ForeignKey("journeys.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("journey_id", "key", "shard"),
    )
    for statement in (RUN_KEYS, *FUNCTIONS, *TRIGGERS, BACKFILL):
        op.execute(statement)


def downgrade() -> None:
    for name, table in (
        ("journey_visits_deleted", "journey_step_visits"), ("journey_visits_inserted", "journey_step_visits"),
        ("journey_runs_deleted", "journey_runs"), ("journey_runs_updated", "journey_runs"),
        ("journey_runs_inserted", "journey_runs"),
    ):  # fmt: skip
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
    op.execute("DROP FUNCTION journey_run_keys(timestamptz, text, text, integer)")
    op.drop_table("journey_counts")
