"""The classifier a fresh installation ships: a model trained on the repository's corpus
(tests/data/classify/train), rebuilt with `python -m shre.intelligence.baseline build`.
model.json holds its metrics and the SHA-256 the loader checks before skops reads it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shre.intelligence.corpus import DEFAULT_ROOT, load_split
from shre.intelligence.embedding import Embedder, get_embedder
from shre.intelligence.model import EXPERTS, TrainedModel, train
from shre.intelligence.store import ModelRefused, dumps, loads, sha256
from shre.intelligence.zeroshot import ZeroShot

HERE = Path(__file__).parent
ARTIFACT = HERE / "model.skops"
MANIFEST = HERE / "model.json"
# The artifact travels in the wheel: past this, something grew that should not have.
MAX_BYTES = 2 * 1024 * 1024


def manifest(directory: Path = HERE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / MANIFEST.name).read_text(encoding="utf-8"))
    return data


def load_baseline(directory: Path = HERE) -> TrainedModel:
    """The shipped model, after checking its bytes against model.json's SHA-256."""
    info = manifest(directory)
    data = (directory / ARTIFACT.name).read_bytes()
    model = loads(data, info["sha256"])
    if model.metrics.version != info["version"]:
        raise ModelRefused("model.json describes another version of the model")
    return model


def build(
    root: Path = DEFAULT_ROOT, directory: Path = HERE, embedder: Embedder | None = None
) -> dict[str, Any]:
    """Train on `root`'s train split, write model.skops and model.json; model.json's
    content is returned."""
    embedder = embedder if embedder is not None else get_embedder()
    corpus = load_split("train", root)
    vectors = embedder.embed(corpus.texts)
    zero_shot = ZeroShot(embedder).probabilities(vectors)
    model = train(corpus.texts, corpus.labels, vectors, zero_shot)
    data = dumps(model)
    if len(data) > MAX_BYTES:
        raise ValueError(f"the model takes {len(data)} bytes, more than {MAX_BYTES}")
    info = {
        "version": model.metrics.version,
        "sha256": sha256(data),
        "bytes": len(data),
        "trained_on": "tests/data/classify/train",
        "weights": dict(zip(EXPERTS, model.weights, strict=True)),
        "temperature": model.temperature,
        "metrics": model.metrics.as_dict(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ARTIFACT.name).write_bytes(data)
    (directory / MANIFEST.name).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info
