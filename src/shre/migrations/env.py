"""Alembic environment: runs on the connection `shre.migrate` hands over, or on
DATABASE_URL when called as `alembic upgrade head`."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from shre.migrate import include_name
from shre.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from shre.db import create_engine
    from shre.settings import load_settings

    async def _main() -> None:
        engine = create_engine(load_settings())
        async with engine.begin() as conn:
            await conn.run_sync(_run)
        await engine.dispose()

    asyncio.run(_main())
