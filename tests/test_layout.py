"""The test tree's layout: what tests share lives in tests.support, fixtures in conftest
files; no module imports a test module or a conftest (pytest loads those itself, and a
test imported into another module runs there a second time)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


def module_name(path: Path) -> str:
    """`tests/employees/test_crud.py` -> `tests.employees.test_crud`."""
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool = False) -> Iterator[str]:
    """Every module (or module attribute) a source imports, anywhere in it, by its
    absolute name: relative imports are resolved against `module`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def forbidden(names: Iterator[str]) -> set[str]:
    """The test modules and conftests of the test tree among `names` (an attribute of
    one counts as the module)."""
    found: set[str] = set()
    for name in names:
        parts = name.split(".")
        for end, part in enumerate(parts[1:], start=2):
            if parts[0] == "tests" and (part == "conftest" or part.startswith("test_")):
                found.add(".".join(parts[:end]))
                break
    return found


def offences(path: Path) -> list[str]:
    module = module_name(path)
    return sorted(forbidden(imported(path.read_text(), module, path.name == "__init__.py")))


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("from tests.conftest import Account", "tests.x.test_a", {"tests.conftest"}),
        ("from tests.cache.conftest import X", "tests.x.test_a", {"tests.cache.conftest"}),
        ("import tests.test_cli", "tests.x.test_a", {"tests.test_cli"}),
        (
            "from tests.employees.test_listing import *",
            "tests.x.y",
            {"tests.employees.test_listing"},
        ),
        ("from tests.employees import test_listing", "tests.x.y", {"tests.employees.test_listing"}),
        ("from . import test_b", "tests.employees.test_a", {"tests.employees.test_b"}),
        ("from .test_b import f", "tests.employees.helpers", {"tests.employees.test_b"}),
        ("from ..conftest import f", "tests.employees.test_a", {"tests.conftest"}),
        ("def f():\n    from tests.x.test_b import g\n", "tests.x.test_a", {"tests.x.test_b"}),
        ("from tests.support.app import assert_problem", "tests.x.test_a", set()),
        ("from tests.support import employees", "tests.x.test_a", set()),
        ("import pytest\nfrom shre.cli import app", "tests.x.test_a", set()),
    ],
)
def test_the_check_finds_every_spelling_of_such_an_import(
    source: str, module: str, expected: set[str]
) -> None:
    assert forbidden(imported(source, module)) == expected


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    found = {str(path.relative_to(TESTS.parent)): offences(path) for path in TESTS.rglob("*.py")}
    assert {path: names for path, names in found.items() if names} == {}


def test_support_is_a_library_of_no_tests_and_no_fixtures() -> None:
    """tests.support is a library: pytest collects nothing from it and no fixture is
    defined there."""
    support = TESTS / "support"
    assert (support / "__init__.py").is_file()
    for path in support.rglob("*.py"):
        assert not path.name.startswith("test_"), path
        assert path.name != "conftest.py", path
        assert "pytest.fixture" not in path.read_text(), path
