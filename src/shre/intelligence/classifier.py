"""What an upload's job calls: a suggested category with its confidence, and the expiry
date the text states. The classifier is the trained model when there is one (the shipped
baseline, or a model the caller loaded), else what needs no training: zero-shot and the
keywords, pooled."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from shre.intelligence import keywords
from shre.intelligence.embedding import Embedder, get_embedder
from shre.intelligence.expiry import find_expiry
from shre.intelligence.model import TrainedModel
from shre.intelligence.zeroshot import ZeroShot, softmax
from shre.policy import DOCUMENT_CATEGORIES

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# What is read of a document: its top says what it is; a bound keeps the work bounded
# (the embedder reads far less still).
MAX_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class Suggestion:
    category: str  # one of DOCUMENT_CATEGORIES
    confidence: float  # the category's probability, 0..1
    expires_on: date | None  # the expiry date the text states


class Classifier:
    """Thread-safe once built; each call embeds the texts (CPU-bound: run it in a worker
    thread from async code)."""

    def __init__(
        self,
        embedder: Embedder,
        model: TrainedModel | None = None,
        zero_shot: ZeroShot | None = None,
    ) -> None:
        self.embedder = embedder
        self.model = model
        self.zero_shot = zero_shot if zero_shot is not None else ZeroShot(embedder)
        self.categories = DOCUMENT_CATEGORIES

    @property
    def source(self) -> str:
        """ "zero-shot", or the trained model's version."""
        return "zero-shot" if self.model is None else self.model.metrics.version

    def predict(self, text: str) -> Suggestion:
        return self.predict_many([text])[0]

    def predict_with_vector(self, text: str) -> tuple[Suggestion, NDArray[np.float32]]:
        """The suggestion for one text, and the text's embedding it came from (what
        semantic search keeps): the text is embedded once for both."""
        import numpy as np

        text = text[:MAX_CHARS]
        vectors = self.embedder.embed([text])
        row = self.probabilities([text], vectors)[0]
        if not text.strip():
            return Suggestion("other", 0.0, None), vectors[0]
        best = int(np.argmax(row))
        suggestion = Suggestion(
            self.categories[best], round(float(row[best]), 4), find_expiry(text)
        )
        return suggestion, vectors[0]

    def predict_many(self, texts: Sequence[str]) -> list[Suggestion]:
        """One suggestion per text. A text without words (a scan nobody read) gets
        "other" with confidence 0: there is nothing to suggest from."""
        import numpy as np

        texts = [text[:MAX_CHARS] for text in texts]
        probabilities = self.probabilities(texts)
        suggestions = []
        for text, row in zip(texts, probabilities, strict=True):
            if not text.strip():
                suggestions.append(Suggestion("other", 0.0, None))
                continue
            best = int(np.argmax(row))
            suggestions.append(
                Suggestion(self.categories[best], round(float(row[best]), 4), find_expiry(text))
            )
        return suggestions

    def probabilities(
        self, texts: Sequence[str], vectors: NDArray[np.float32] | None = None
    ) -> NDArray[np.float64]:
        """(texts, categories) in DOCUMENT_CATEGORIES order; `vectors`: the texts'
        embeddings when the caller has them already."""
        if vectors is None:
            vectors = self.embedder.embed(texts)
        zero_shot = self.zero_shot.probabilities(vectors)
        if self.model is None:
            return untrained(texts, zero_shot)
        return self.model.probabilities(texts, vectors, zero_shot)


def untrained(texts: Sequence[str], zero_shot: NDArray[np.float64]) -> NDArray[np.float64]:
    """Zero-shot and keyword probabilities pooled (the product of the two, renormalised)."""
    import numpy as np

    pooled = np.log(np.clip(zero_shot, 1e-12, 1.0))
    pooled += np.log(np.clip(keywords.probabilities(texts), 1e-12, 1.0))
    return softmax(pooled)


_classifier: Classifier | None = None
_building = threading.Lock()


def get_classifier() -> Classifier:
    """The process's classifier: the shipped baseline over MiniLM, built on first use
    (loading the model takes a few seconds)."""
    global _classifier
    if _classifier is None:
        with _building:
            if _classifier is None:
                from shre.intelligence.baseline import load_baseline

                _classifier = Classifier(get_embedder(), load_baseline())
    return _classifier


EMBEDDING_MODEL = "all-MiniLM-L6-v2"


def embed_query(text: str) -> NDArray[np.float32]:
    """A search query's embedding (loads the model on first use)."""
    vector: NDArray[np.float32] = get_embedder().embed([text])[0]
    return vector


def suggest(text: str) -> Suggestion:
    """A category (and expiry date) for one document's text, by the shipped classifier."""
    return get_classifier().predict(text)
