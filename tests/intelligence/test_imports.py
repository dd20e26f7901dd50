"""`import shre.intelligence` needs none of the `ai` extra: the heavy libraries are
imported only when a model is used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "sentence_transformers", "sklearn", "skops", "numpy", "transformers")


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "import shre.intelligence, shre.intelligence.baseline, shre.intelligence.store\n"
        "import shre.intelligence.attrition, shre.intelligence.attrition_features\n"
        "from shre.intelligence import find_expiry, ai_available\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""
