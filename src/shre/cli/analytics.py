"""`shre analytics`: check (and rebuild) what analytics keep besides the records."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cli.common import command_runtime, settings_or_exit, with_session
from shre.settings import Settings

if TYPE_CHECKING:
    from shre.employees.headcount import Tally

app = typer.Typer(
    help="Analytics: check the headcount ledger against the employees, rebuild it.",
    no_args_is_help=True,
)


@app.command("check-headcount")
def check_headcount(
    repair: Annotated[
        bool, typer.Option(help="Count every event afresh and keep that, then check again.")
    ] = False,
) -> None:
    """Compare the headcount ledger (hires, leavings and moves by month) with a count
    from scratch of the employees and their department history. Exit 1 when they differ
    (after --repair: when they still do)."""
    settings = settings_or_exit()
    if repair:
        rows = asyncio.run(with_session(settings, _rebuild))
        typer.echo(f"shre: headcount ledger rebuilt ({rows} entries)")
    differences = asyncio.run(_differences(settings))
    if not differences:
        typer.echo("shre: the headcount ledger agrees with the employees and their history")
        return
    typer.echo(f"shre: the headcount ledger differs in {len(differences)} entries:", err=True)
    for (kind, one, other, month), n in sorted(differences.items(), key=str):
        moved = f" -> {other or 'no department'}" if kind == "move" else ""
        typer.echo(
            f"  {month // 100}-{month % 100:02d} {kind} {one or 'no department'}{moved}: "
            f"{n:+d} in the ledger",
            err=True,
        )
    typer.echo("shre: `shre analytics check-headcount --repair` rebuilds it", err=True)
    raise typer.Exit(1)


async def _rebuild(runtime: Runtime, session: AsyncSession) -> int:
    from shre.cache import invalidate_on_commit
    from shre.employees.cache import FIGURES
    from shre.employees.headcount import HeadcountLedger

    rows = await HeadcountLedger(session).rebuild()
    invalidate_on_commit(session, FIGURES)  # headcount and turnover are computed from it
    return rows


async def _differences(settings: Settings) -> Tally:
    """Both counts from one snapshot: a write committed between them is no difference."""
    from shre.employees.headcount import HeadcountLedger

    async with command_runtime(settings) as runtime, runtime.sessionmaker() as session:
        if runtime.engine.dialect.name == "postgresql":
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        found = await HeadcountLedger(session).differences()
        await session.rollback()
    return found
