"""Rows through a cache and back keep every column's Python type, foreign keys included
(their type comes from the table they point to, known only once it is imported)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, date, datetime

from shre.cache.base import dumps, loads
from shre.cache.rows import RowCodec
from shre.employees.models import Employee
from shre.users.models import User


def test_rows_round_trip_through_json_with_their_types() -> None:
    manager, department = uuid.uuid4(), uuid.uuid4()
    employee = Employee(
        id=uuid.uuid4(),
        employee_number="E1",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        manager_id=manager,
        department_id=department,
        hire_date=date(2020, 1, 2),
        salary_enc="sealed",
        dek_wrapped="wrapped",
        version=3,
    )
    codec = RowCodec(Employee, leave_out=frozenset({"dek_wrapped"}))
    back = codec.load(loads(dumps(codec.dump(employee))))
    assert back.id == employee.id
    assert isinstance(back.id, uuid.UUID)
    assert back.manager_id == manager
    assert isinstance(back.manager_id, uuid.UUID)
    assert back.department_id == department
    assert back.hire_date == date(2020, 1, 2)
    assert (back.salary_enc, back.version) == ("sealed", 3)
    assert back.dek_wrapped is None  # left out

    linked = uuid.uuid4()
    user = User(
        id=uuid.uuid4(),
        email="u@example.com",
        password_hash="$argon2id$secret",
        full_name="U",
        role="manager",
        employee_id=linked,
        password_changed_at=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
    )
    users = RowCodec(User, leave_out=frozenset({"password_hash"}))
    dumped = users.dump(user)
    assert "password_hash" not in dumped
    again = users.load(loads(dumps(dumped)))
    assert again.employee_id == linked  # a UUID, not its text: identity checks compare it
    assert again.password_changed_at == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_a_fresh_process_can_load_a_cached_row_before_any_query() -> None:
    """A worker may answer from Redis before it ever ran a query (mappers not configured
    yet): the row must still read like a normal one."""
    code = (
        "import uuid\n"
        "from shre.cache.base import dumps, loads\n"
        "from shre.cache.rows import RowCodec\n"
        "from shre.users.models import User\n"
        "import shre.models\n"
        "codec = RowCodec(User)\n"
        "uid = uuid.uuid4()\n"
        "row = codec.load(loads(dumps({'id': str(uid), 'is_active': True, 'role': 'hr'})))\n"
        "assert row.is_active is True and row.id == uid and row.role == 'hr'\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
