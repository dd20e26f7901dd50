"""Local files shre keeps private: directories it makes are 0700, whatever the umask."""

from __future__ import annotations

from pathlib import Path


def private_dirs(path: Path) -> None:
    """Make `path` and each missing directory above it 0700 (existing ones are left as
    they are: the operator chose them)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(exist_ok=True)
        directory.chmod(0o700)  # mkdir's mode is subject to the umask
