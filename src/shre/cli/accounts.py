"""Sign-ins: `shre create-admin`, `shre ensure-admin` and `shre seed-demo` (a demo
organisation with a user per role)."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from shre.api.runtime import Runtime
from shre.cli.common import fail, settings_or_exit, with_progress, with_session
from shre.employees.vault import EmployeeVault
from shre.kit.errors import DomainError
from shre.settings import Settings
from shre.users.passwords import PasswordHasher, password_problems

if TYPE_CHECKING:
    from shre.demo.seed import DemoUser


def create_admin(
    email: Annotated[str, typer.Option(help="The admin's sign-in email.")],
    password: Annotated[
        str | None,
        typer.Option(help="Password (at least 12 characters); asked for when omitted."),
    ] = None,
    full_name: Annotated[str, typer.Option(help="Display name.")] = "Administrator",
    force: Annotated[
        bool, typer.Option(help="Reset the password and admin role of an existing user.")
    ] = False,
) -> None:
    """Create an administrator account (or reset one with --force)."""
    settings = settings_or_exit()
    if password is None:
        if not sys.stdin.isatty():
            fail("--password is required when not run interactively")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        message = asyncio.run(_create_admin(settings, email, password, full_name, force))
    except DomainError as exc:
        fail(exc.detail, code=1)
    typer.echo(f"shre: {message}")


def ensure_admin() -> None:
    """Create the first admin (SHRE_ADMIN_EMAIL / SHRE_ADMIN_PASSWORD) if there is none.

    Without SHRE_ADMIN_PASSWORD a password is generated and printed once.
    """
    from shre.users.repository import UserRepository

    settings = settings_or_exit()

    async def count(runtime: Runtime, session: AsyncSession) -> int:
        return await UserRepository(session).count_admins()

    if asyncio.run(with_session(settings, count)) > 0:
        typer.echo("shre: an admin account exists; sign in with its credentials", err=True)
        return
    email = settings.shre_admin_email
    given = settings.shre_admin_password
    password = given.get_secret_value() if given else _generate_password(email)
    try:
        asyncio.run(_create_admin(settings, email, password, "Administrator", False))
    except DomainError as exc:
        fail(f"cannot create the admin {email}: {exc.detail}", code=1)
    typer.echo(f"shre: created admin {email}")
    if given is None:
        typer.echo(f"shre: its generated password (shown once): {password}")


def seed_demo_command(
    employees: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many.")] = 200,
) -> None:
    """Fill an empty database with a realistic demo organisation and a user per role
    (passwords generated, shown once). Refused in production."""
    from shre.demo.seed import seed_demo

    settings = settings_or_exit()
    if settings.is_production:
        fail(
            "seed-demo refuses to run in production (SHRE_ENV=production): it would add "
            "made-up employees and sign-ins to a real installation"
        )

    async def work(runtime: Runtime, progress: Callable[[int], None]) -> list[DemoUser]:
        return await seed_demo(
            runtime.sessionmaker,
            runtime.part(EmployeeVault),
            runtime.part(PasswordHasher),
            employees,
            progress=progress,
        )

    try:
        users = with_progress(settings, "creating employees", employees, work)
    except DomainError as exc:
        fail(exc.detail, code=1)
    typer.echo(f"shre: {employees} demo employees created. Demo sign-ins (shown once):")
    for user in users:
        password = user.password or "(the account existed; its password is unchanged)"
        typer.echo(f"  {user.role.value:<9} {user.email:<36} {password}")


async def _create_admin(
    settings: Settings, email: str, password: str, full_name: str, reset: bool
) -> str:
    from shre.audit import AuditTrail
    from shre.users.service import UserService

    async def work(runtime: Runtime, session: AsyncSession) -> str:
        audit = AuditTrail.system(session, runtime.sessionmaker)
        service = UserService(session, runtime.part(PasswordHasher), audit)
        user, created = await service.create_or_reset_admin(email, password, full_name, reset=reset)
        return f"{'created' if created else 'reset'} admin {user.email}"

    return await with_session(settings, work)


def _generate_password(email: str) -> str:
    while True:
        candidate = secrets.token_urlsafe(18)
        if not password_problems(candidate, email):
            return candidate
