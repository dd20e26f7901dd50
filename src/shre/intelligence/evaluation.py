"""How well predictions match labels: per-category F1, their macro average and the
confusion matrix (plain Python, for the benchmark, the tests and model.json)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from shre.policy import DOCUMENT_CATEGORIES


@dataclass(frozen=True, slots=True)
class Report:
    categories: tuple[str, ...]
    f1: dict[str, float]  # per category present in the labels
    macro_f1: float  # over the categories present in the labels
    accuracy: float
    confusion: dict[tuple[str, str], int]  # (label, predicted) -> documents

    def table(self) -> str:
        """The confusion matrix as text: a row per label, a column per prediction."""
        present = [c for c in self.categories if c in self.f1]
        shown = [c for c in self.categories if c in present or self._predicted(c)]
        width = max(len(c) for c in shown)
        head = " " * (width + 2) + " ".join(f"{c[:5]:>5}" for c in shown) + "    F1"
        lines = [head]
        for label in present:
            cells = " ".join(f"{self.confusion.get((label, p), 0):>5}" for p in shown)
            lines.append(f"{label:<{width}}  {cells}  {self.f1[label]:.2f}")
        return "\n".join(lines)

    def _predicted(self, category: str) -> bool:
        return any(p == category for (_, p) in self.confusion)


def evaluate(
    labels: Sequence[str],
    predicted: Sequence[str],
    categories: tuple[str, ...] = DOCUMENT_CATEGORIES,
) -> Report:
    if len(labels) != len(predicted) or not labels:
        raise ValueError("labels and predictions must be as many, and some")
    confusion = Counter(zip(labels, predicted, strict=True))
    f1: dict[str, float] = {}
    for category in categories:
        support = sum(1 for label in labels if label == category)
        if support == 0:
            continue
        hits = confusion[(category, category)]
        said = sum(1 for p in predicted if p == category)
        f1[category] = 2 * hits / (support + said)
    return Report(
        categories=categories,
        f1=f1,
        macro_f1=sum(f1.values()) / len(f1),
        accuracy=sum(1 for a, b in zip(labels, predicted, strict=True) if a == b) / len(labels),
        confusion=dict(confusion),
    )
