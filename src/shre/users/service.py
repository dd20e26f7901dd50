"""User accounts: the rules (admins only, unique emails, never lose the last admin)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from shre.audit.trail import AuditTrail
from shre.db import utcnow
from shre.employees.repository import EmployeeRepository
from shre.kit.errors import Conflict, Forbidden, InvalidInput, NotFound, changed_concurrently
from shre.kit.export import Batches, check_size, export_target, in_batches
from shre.kit.http import Precondition, check_if_match
from shre.kit.pagination import PageParams
from shre.kit.sql import is_unique_violation
from shre.policy import Principal, Role, may_manage_users
from shre.users.models import User
from shre.users.passwords import PasswordHasher, password_problems
from shre.users.repository import UserFilters, UserRepository
from shre.users.schemas import UserCreate, UserOut, UserUpdate
from shre.users.sessions import RefreshTokenRepository

log = structlog.get_logger("shre.users")
EXPORT = "user.export"
# An export's columns: the list's fields, in its order.
EXPORT_COLUMNS = tuple(UserOut.model_fields)


def check_password(password: str, email: str) -> None:
    problems = password_problems(password, email)
    if problems:
        raise InvalidInput(
            "Password " + "; ".join(problems),
            code="weak_password",
            errors=[{"field": "password", "location": "body", "message": p} for p in problems],
        )


class UserService:
    def __init__(self, session: AsyncSession, hasher: PasswordHasher, audit: AuditTrail) -> None:
        self.session = session
        self.hasher = hasher
        self.audit = audit
        self.repo = UserRepository(session)

    def _authorize(self, actor: Principal) -> None:
        if not may_manage_users(actor):
            raise Forbidden("Only administrators manage users", code="admin_only")

    async def get(self, actor: Principal, user_id: uuid.UUID) -> User:
        self._authorize(actor)
        user = await self.repo.get(user_id)
        if user is None:
            raise NotFound("No such user", code="user_not_found")
        return user

    async def list(
        self, actor: Principal, params: PageParams, filters: UserFilters
    ) -> tuple[list[User], int]:
        self._authorize(actor)
        return await self.repo.list(params, filters)

    async def export(
        self,
        actor: Principal,
        sort: str | None,
        filters: UserFilters,
        *,
        file_format: str,
        max_rows: int,
    ) -> tuple[Sequence[str], Batches]:
        """Every user the list pages through (its filters and sort): the columns, and the
        rows in batches. Recorded first, as one `user.export` event ("csv:12")."""
        self._authorize(actor)
        ids = await self.repo.ids_in_order(sort, filters, limit=max_rows + 1)
        check_size(len(ids), max_rows)
        await self.audit.record_read(
            EXPORT,
            target_type="user",
            target_id=export_target(file_format, len(ids)),
            fields=EXPORT_COLUMNS,
        )
        return EXPORT_COLUMNS, in_batches(
            ids, self.repo.in_order, _row, after=self.session.expunge_all
        )

    async def create(self, actor: Principal | None, data: UserCreate) -> User:
        """Create a user; `actor` None is the operator at the CLI (create-admin)."""
        if actor is not None:
            self._authorize(actor)
        check_password(data.password, data.email)
        if await self.repo.email_taken(data.email):
            raise Conflict("A user with this email already exists", code="email_taken")
        if data.employee_id:
            await self._check_employee(data.employee_id)
        if data.employee_id and await self.repo.employee_linked(data.employee_id, other_than=None):
            raise Conflict("That employee already has a user account", code="employee_linked")
        user = User(
            email=data.email,
            password_hash=await self.hasher.hash(data.password),
            full_name=data.full_name,
            role=data.role.value,
            is_active=True,
            employee_id=data.employee_id,
        )
        await self._flush(user)
        log.info("user.created", user_id=str(user.id), role=user.role, by=_who(actor))
        await self.audit.record(
            "user.create",
            target_type="user",
            target_id=user.id,
            fields=data.model_dump(exclude_none=True).keys(),
        )
        return user

    async def create_or_reset_admin(
        self, email: str, password: str, full_name: str, *, reset: bool
    ) -> tuple[User, bool]:
        """The operator's path (CLI): make `email` an active admin with this password."""
        try:
            data = UserCreate(email=email, password=password, full_name=full_name, role=Role.ADMIN)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            field = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"{field}: {first['msg']}", code="validation_error") from None
        existing = await self.repo.get_by_email(data.email)
        if existing is None:
            return await self.create(None, data), True
        if not reset:
            raise Conflict(
                f"A user with email {data.email} exists (use --force to reset it)",
                code="email_taken",
            )
        check_password(password, existing.email)
        existing.password_hash = await self.hasher.hash(password)
        existing.password_changed_at = utcnow()
        existing.role = Role.ADMIN.value
        existing.is_active = True
        await self._end_sessions(existing)
        await self._flush(existing)
        log.info("user.admin_reset", user_id=str(existing.id), by="cli")
        await self.audit.record(
            "user.update",
            target_type="user",
            target_id=existing.id,
            fields=("password", "role", "is_active"),
        )
        return existing, False

    async def update(
        self,
        actor: Principal,
        user_id: uuid.UUID,
        data: UserUpdate,
        if_match: Precondition | None,
    ) -> User:
        user = await self.get(actor, user_id)
        check_if_match(if_match, user.version)
        changes = data.model_dump(exclude_unset=True)
        losing_admin = (
            user.role == Role.ADMIN
            and user.is_active
            and (changes.get("role", Role.ADMIN) != Role.ADMIN or changes.get("is_active") is False)
        )
        if losing_admin:
            await self._keep_one_admin(user, "demote or deactivate")
        now = utcnow()
        # What this update changes (names only): a submitted value equal to the stored one
        # is no change; a password always is.
        changed = {"password"} if "password" in changes else set()
        changed |= {
            name
            for name in ("full_name", "role", "is_active", "employee_id")
            if name in changes and changes[name] != getattr(user, name)
        }
        if "password" in changes:
            check_password(changes["password"], user.email)
            user.password_hash = await self.hasher.hash(changes["password"])
            user.password_changed_at = now
        if "employee_id" in changes and changes["employee_id"] != user.employee_id:
            if changes["employee_id"]:
                await self._check_employee(changes["employee_id"])
            if changes["employee_id"] and await self.repo.employee_linked(
                changes["employee_id"], other_than=user.id
            ):
                raise Conflict("That employee already has a user account", code="employee_linked")
            user.employee_id = changes["employee_id"]
        if "full_name" in changes:
            user.full_name = changes["full_name"]
        if "role" in changes:
            user.role = Role(changes["role"]).value
        if "is_active" in changes:
            user.is_active = changes["is_active"]
        if "password" in changes or changes.get("is_active") is False:
            # A new password or a deactivation ends every session of the account, for good:
            # reactivating it does not bring the old tokens back.
            await self._end_sessions(user)
        await self._flush(user)
        if losing_admin:
            await self._an_admin_remains("demote or deactivate")
        log.info("user.updated", user_id=str(user.id), fields=sorted(changes), by=_who(actor))
        await self.audit.record(
            "user.update", target_type="user", target_id=user.id, fields=changed
        )
        return user

    async def delete(
        self, actor: Principal, user_id: uuid.UUID, if_match: Precondition | None
    ) -> None:
        user = await self.get(actor, user_id)
        check_if_match(if_match, user.version)
        losing_admin = user.role == Role.ADMIN and user.is_active
        if losing_admin:
            await self._keep_one_admin(user, "delete")
        await self.repo.delete(user)
        if losing_admin:
            await self._an_admin_remains("delete")
        log.info("user.deleted", user_id=str(user_id), by=_who(actor))
        await self.audit.record("user.delete", target_type="user", target_id=user_id)

    async def _end_sessions(self, user: User) -> None:
        """End every token of the account: a new epoch refuses the access tokens issued
        before (their claim is older, whatever the clock says), and the refresh tokens
        are revoked. A role change does not: the role is read from the account on every
        request, never from the token."""
        user.token_epoch += 1
        await RefreshTokenRepository(self.session).revoke_user(user.id, utcnow())

    async def _check_employee(self, employee_id: uuid.UUID) -> None:
        if not await EmployeeRepository(self.session).exists(employee_id):
            raise InvalidInput(
                "employee_id: no such employee",
                code="employee_not_found",
                errors=[
                    {"field": "employee_id", "location": "body", "message": "no such employee"}
                ],
            )

    async def _keep_one_admin(self, user: User, verb: str) -> None:
        admins = await self.repo.lock_active_admins()
        if [a for a in admins if a != user.id] == []:
            raise Conflict(f"Cannot {verb} the last active administrator", code="last_admin")

    async def _an_admin_remains(self, verb: str) -> None:
        # Checked again after our own write: SQLite ignores FOR UPDATE and takes its write
        # lock only at the write, so a concurrent removal becomes visible only now.
        if not await self.repo.lock_active_admins():
            raise Conflict(f"Cannot {verb} the last active administrator", code="last_admin")

    async def _flush(self, user: User) -> None:
        try:
            await self.repo.add(user)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise Conflict(
                    "A user with this email or employee already exists", code="duplicate"
                ) from None
            raise
        except StaleDataError:
            raise changed_concurrently("user") from None


def _row(user: User) -> dict[str, Any]:
    return UserOut.model_validate(user).model_dump()


def _who(actor: Principal | None) -> str:
    return str(actor.id) if actor else "cli"
