"""job queue: procrastinate's schema (PostgreSQL only)

The background jobs' queue lives in the database (shre.queue): procrastinate's tables,
types, functions and triggers, as the pinned release (3.10) ships them. A later release
with a changed schema comes with a migration of ours that applies procrastinate's own
migration files for it. SQLite has no queue table: its queue is in memory.

Revision ID: 20261207_0013
Revises: 20261206_0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager
from sqlalchemy.util import await_only

revision: str = "20261207_0013"
down_revision: str | None = "20261206_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The functions first (the tables' triggers use them), then the tables and types.
_DROP = """
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
    END LOOP;
END $$;
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
    procrastinate_jobs, procrastinate_workers CASCADE;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def _run_script(sql: str) -> None:
    """Several statements with dollar-quoted bodies: sent as one script by the driver
    (asyncpg's simple query protocol), not as a prepared statement."""
    raw = op.get_bind().connection.driver_connection
    assert raw is not None  # noqa: S101 - an open connection has its driver's
    await_only(raw.execute(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _run_script(_DROP)
