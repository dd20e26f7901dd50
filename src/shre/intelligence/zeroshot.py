"""Zero-shot classification: a document's embedding against the categories' descriptions
(descriptions.py). Needs no training data, so it is what an installation knows about a
kind of document it has never seen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from shre.intelligence.descriptions import DESCRIPTIONS
from shre.intelligence.embedding import Embedder
from shre.policy import DOCUMENT_CATEGORIES

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Cosine similarities of MiniLM lie close together (0.1-0.6): a low temperature turns
# their differences into probabilities (chosen on the training split's log loss).
TEMPERATURE = 0.04


class ZeroShot:
    """Each category's score is its best-matching description's cosine similarity."""

    def __init__(
        self,
        embedder: Embedder,
        descriptions: Mapping[str, Sequence[str]] = DESCRIPTIONS,
        temperature: float = TEMPERATURE,
    ) -> None:
        import numpy as np

        self.categories: tuple[str, ...] = DOCUMENT_CATEGORIES
        unknown = set(descriptions) ^ set(self.categories)
        if unknown:
            raise ValueError(f"descriptions do not match the categories: {sorted(unknown)}")
        self.temperature = temperature
        texts = [text for category in self.categories for text in descriptions[category]]
        self._owners = np.asarray(
            [i for i, category in enumerate(self.categories) for _ in descriptions[category]]
        )
        self._vectors = embedder.embed(texts)

    def similarities(self, vectors: NDArray[np.float32]) -> NDArray[np.float64]:
        """(documents, categories): the best cosine similarity among each category's
        descriptions (the embeddings are L2-normalised)."""
        import numpy as np

        cosine = vectors.astype(np.float64) @ self._vectors.T.astype(np.float64)
        best = np.full((len(vectors), len(self.categories)), -1.0)
        for index in range(len(self.categories)):
            best[:, index] = cosine[:, self._owners == index].max(axis=1)
        return best

    def probabilities(self, vectors: NDArray[np.float32]) -> NDArray[np.float64]:
        """(documents, categories), each row summing to 1, in `categories` order."""
        return softmax(self.similarities(vectors) / self.temperature)


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    import numpy as np

    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: NDArray[np.float64] = exp / exp.sum(axis=1, keepdims=True)
    return result
