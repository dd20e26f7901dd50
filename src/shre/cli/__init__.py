"""The `shre` command line, one module per group of commands:

- server: serve, migrate
- jobs: worker, jobs list, retry
- accounts: create-admin, ensure-admin, seed-demo
- keys: keys generate, status, rotate, shred, encrypt-existing, import-legacy
- audit: audit verify, export, prune
- storage: storage check, migrate
- documents: documents purge, expiring
- analytics: analytics check-headcount
- imports: import employees, export employees

common holds what they share (settings, `fail`, the runtime, one transaction, progress);
openapi (`python -m shre.cli.openapi`) prints the API's OpenAPI document.
Commands import their domain modules inside their body: `shre --help` stays quick.
"""

from __future__ import annotations

from typing import Annotated

import typer

from shre import __version__
from shre.cli import accounts, analytics, audit, documents, imports, jobs, keys, server, storage

app = typer.Typer(
    name="shre",
    help="shre: employee data & document management for HR teams.\n\n"
    "Configuration comes from the environment and .env (see .env.example).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"shre {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """shre: employee data & document management for HR teams."""


# In the order `shre --help` lists them.
app.command("serve")(server.serve)
app.command("migrate")(server.migrate)
app.command("worker")(jobs.worker)
app.command("create-admin")(accounts.create_admin)
app.command("ensure-admin")(accounts.ensure_admin)
app.command("seed-demo")(accounts.seed_demo_command)
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(storage.app, name="storage")
app.add_typer(documents.app, name="documents")
app.add_typer(analytics.app, name="analytics")
app.add_typer(imports.import_app, name="import")
app.add_typer(imports.export_app, name="export")
app.add_typer(jobs.app, name="jobs")


def main() -> None:
    app()
