"""A labelled corpus on disk: `<root>/<split>/<category>/<name>.txt`, the file name
starting with its language (`en-`, `de-`). The baseline is trained on one; the benchmark
and the tests measure on another."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shre.policy import DOCUMENT_CATEGORIES

# The repository's corpus (tests/data/classify), from a source checkout.
DEFAULT_ROOT = Path(__file__).resolve().parents[3] / "tests" / "data" / "classify"
# Its train split as a wheel carries it (pyproject's force-include): what the shipped
# model learnt from, and what a model retrained on an organisation's labels starts from.
PACKAGED_TRAIN = Path(__file__).resolve().parent / "baseline" / "train"


@dataclass(frozen=True, slots=True)
class Labelled:
    texts: list[str]
    labels: list[str]
    names: list[str]  # "<category>/<file name>", for reports

    @property
    def languages(self) -> list[str]:
        return [name.split("/", 1)[1].split("-", 1)[0] for name in self.names]

    def __len__(self) -> int:
        return len(self.texts)


def load_split(split: str, root: Path = DEFAULT_ROOT) -> Labelled:
    """Every document of a split, by category then name (a stable order)."""
    base = root / split
    if not base.is_dir():
        raise FileNotFoundError(f"no corpus split at {base}")
    texts: list[str] = []
    labels: list[str] = []
    names: list[str] = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if folder.name not in DOCUMENT_CATEGORIES:
            raise ValueError(f"{folder} is not a document category")
        for path in sorted(folder.glob("*.txt")):
            texts.append(path.read_text(encoding="utf-8"))
            labels.append(folder.name)
            names.append(f"{folder.name}/{path.name}")
    return Labelled(texts, labels, names)


def training_corpus() -> Labelled:
    """The shipped model's training documents: from the wheel, else the source checkout."""
    if PACKAGED_TRAIN.is_dir():
        return load_split(PACKAGED_TRAIN.name, PACKAGED_TRAIN.parent)
    return load_split("train", DEFAULT_ROOT)
