"""Bulk import at 100,000 rows (PostgreSQL): `shre import employees` of a CSV (and of
the same rows as XLSX), into an empty database, each run in a fresh one.

    python -m bench.imports [--rows 100000] [--runs 3] [--xlsx-runs 1] [--update-runs 1]
                            [--xlsx-whole]

Writes a file of synthetic people (every column, every sensitive field, a department
by name for every 50 and a manager by employee number for all but the first, listed
*after* their reports), then for each run: a scratch PostgreSQL database on
127.0.0.1:5432, migrated, and `shre import employees FILE --create-departments` timed
as a process (wall time; the peak RSS of the import's process). Prints each run and the
median. The CSV's goal: under 2 minutes for 100,000 rows. An update run imports the CSV
(not timed), then the same people with a raise and a new job title each (timed: every
row updated, two history rows each, the salary sealed).
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from bench.demo import scratch_database

HEADER = [
    "employee_number", "first_name", "last_name", "email", "phone", "job_title",
    "department_name", "manager_employee_number", "location", "employment_type", "status",
    "hire_date", "salary", "salary_currency", "ssn", "bank_account", "date_of_birth",
    "home_address",
]  # fmt: skip


def people(rows: int) -> list[list[str]]:
    """Everyone; the reporting tree (8 reports each) listed bottom-up, so every manager
    comes after their reports."""
    out = []
    for i in reversed(range(rows)):
        manager = "" if i == 0 else f"B{(i - 1) // 8:06}"
        out.append(
            [
                f"B{i:06}",
                f"First{i % 997}",
                f"Last{i % 1009}",
                f"b{i}@bench.example",
                f"+49 30 {1000000 + i}",
                ["Engineer", "Analyst", "Manager", "Director"][i % 4],
                f"Department {i % 50}",
                manager,
                ["Berlin", "Lisbon", "London"][i % 3],
                "full_time",
                "active",
                f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}",
                f"{40000 + i % 60000}.{i % 100:02}",
                "EUR",
                f"756-{i:06}-{i % 97:02}",
                f"DE89 3704 0044 0532 {i:06}",
                f"19{60 + i % 40}-0{1 + i % 9}-2{i % 9}",
                f"{i % 300} Bench Street, Berlin",
            ]
        )
    return out


def write_csv(path: Path, table: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(table)
    return path


def raised(table: list[list[str]]) -> list[list[str]]:
    """Everyone again with a raise and a new job title: an upsert that updates every row
    (two tracked fields each, one of them sealed)."""
    salary, title = HEADER.index("salary"), HEADER.index("job_title")
    out = []
    for row in table:
        changed = list(row)
        changed[salary] = f"{float(row[salary]) + 1000:.2f}"
        changed[title] = f"Senior {row[title]}"
        out.append(changed)
    return out


def write_files(directory: Path, rows: int, *, whole: bool = False) -> tuple[Path, Path]:
    """The CSV and the XLSX of the same rows. The XLSX as openpyxl's write-only writer
    makes it (as `shre export employees` does: text inline in each cell, no dimension,
    so a reader must scan the sheet for its size), or with `whole` as its ordinary
    writer does, like Excel (a shared strings table, the sheet's dimension first)."""
    table = people(rows)
    csv_path = write_csv(directory / "people.csv", table)
    workbook = Workbook(write_only=not whole)
    sheet = workbook.active if whole else workbook.create_sheet("Employees")
    assert sheet is not None  # noqa: S101
    sheet.append(HEADER)
    for row in table:
        sheet.append(row)
    xlsx_path = directory / "people.xlsx"
    workbook.save(xlsx_path)
    return csv_path, xlsx_path


def run(path: Path, cwd: Path, then: Path | None = None) -> tuple[float, float]:
    """One import into a fresh database: seconds, and the peak RSS (MiB) of the children
    so far (the import's process is the largest of them). With `then`: that file's import
    into the database the first one filled is what is timed."""
    with scratch_database(None, "shre_bench_import") as url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SHRE_"))},
            "DATABASE_URL": url,
            "ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "JWT_SECRET": secrets.token_urlsafe(48),
            "SHRE_VAR_DIR": str(cwd / "var"),
            "LOG_LEVEL": "WARNING",
            "CACHE_ENABLED": "false",
        }
        command = [sys.executable, "-m", "shre"]
        subprocess.run([*command, "migrate"], env=env, cwd=cwd, check=True, capture_output=True)
        for file in (path, then) if then is not None else (path,):
            started = time.perf_counter()
            done = subprocess.run(
                [*command, "import", "employees", str(file), "--create-departments"],
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                check=False,
            )
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"import failed: {done.stderr[-2000:]}")
            print(f"    {done.stdout.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--xlsx-runs", type=int, default=1)
    parser.add_argument(
        "--update-runs", type=int, default=1, help="CSV imports that update every row"
    )
    parser.add_argument(
        "--xlsx-whole",
        action="store_true",
        help="write the XLSX as Excel does (shared strings, a dimension), not streamed",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shre-bench-import-") as tmp:
        directory = Path(tmp)
        csv_path, xlsx_path = write_files(directory, args.rows, whole=args.xlsx_whole)
        raise_path = write_csv(directory / "raise.csv", raised(people(args.rows)))
        for label, path, runs, then in (
            ("CSV", csv_path, args.runs, None),
            ("XLSX", xlsx_path, args.xlsx_runs, None),
            ("CSV updating every row", csv_path, args.update_runs, raise_path),
        ):
            if runs <= 0:
                continue
            size = path.stat().st_size / 1024 / 1024
            print(f"{label}: {args.rows} rows, {size:.1f} MiB")
            times = []
            for n in range(runs):
                seconds, peak = run(path, directory, then)
                times.append(seconds)
                print(
                    f"  run {n + 1}: {seconds:.1f} s ({args.rows / seconds:,.0f} rows/s), "
                    f"peak RSS so far {peak:.0f} MiB"
                )
            print(f"  median {statistics.median(times):.1f} s")


if __name__ == "__main__":
    main()
