"""`python -m shre.intelligence.baseline build [--corpus DIR]`: retrain the shipped model
on the corpus's train split and write model.skops and model.json next to this file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shre.intelligence.baseline import HERE, build
from shre.intelligence.corpus import DEFAULT_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shre.intelligence.baseline")
    commands = parser.add_subparsers(dest="command", required=True)
    build_command = commands.add_parser("build", help="train on the corpus's train split")
    build_command.add_argument("--corpus", type=Path, default=DEFAULT_ROOT)
    build_command.add_argument("--output", type=Path, default=HERE)
    args = parser.parse_args(argv)
    info = build(args.corpus, args.output)
    sys.stdout.write(json.dumps(info, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
