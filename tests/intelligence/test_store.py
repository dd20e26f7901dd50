"""A trained model as bytes and back: skops only, and only after the SHA-256 the caller
holds and the trusted-types check both pass."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date

import numpy as np
import pytest
import skops.io

from shre.intelligence.model import EXPERTS, TrainedModel, train
from shre.intelligence.store import TRUSTED_TYPES, ModelRefused, dumps, loads, sha256
from shre.policy import DOCUMENT_CATEGORIES

pytestmark = pytest.mark.ai

WORDS = {
    "contract": "Arbeitsvertrag employment agreement probation notice period salary",
    "payslip": "Gehaltsabrechnung payslip gross pay net pay deductions pay period",
    "medical": "Arbeitsunfähigkeitsbescheinigung sick note doctor diagnosis patient",
}


def corpus(per_category: int = 6) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Small made-up documents with embeddings that tell their category apart."""
    rng = np.random.default_rng(7)
    texts, labels, rows = [], [], []
    for index, (category, words) in enumerate(WORDS.items()):
        for n in range(per_category):
            texts.append(f"{words} document {n} of {category} Musterstadt")
            labels.append(category)
            row = rng.normal(0, 0.1, 384)
            row[index] += 1.0
            rows.append(row / np.linalg.norm(row))
    vectors = np.asarray(rows, dtype=np.float32)
    zero_shot = np.full((len(texts), len(DOCUMENT_CATEGORIES)), 1 / len(DOCUMENT_CATEGORIES))
    return texts, labels, vectors, zero_shot


@pytest.fixture(scope="module")
def trained() -> tuple[TrainedModel, list[str], np.ndarray, np.ndarray]:
    texts, labels, vectors, zero_shot = corpus()
    return train(texts, labels, vectors, zero_shot, folds=3), texts, vectors, zero_shot


def probabilities(model: TrainedModel, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    zero_shot = np.full((len(texts), len(DOCUMENT_CATEGORIES)), 1 / len(DOCUMENT_CATEGORIES))
    return model.probabilities(texts, vectors, zero_shot)


def test_a_model_round_trips(
    trained: tuple[TrainedModel, list[str], np.ndarray, np.ndarray],
) -> None:
    model, texts, vectors, _ = trained
    data = dumps(model)
    loaded = loads(data, sha256(data))
    assert loaded.metrics == model.metrics
    assert loaded.weights == model.weights
    assert len(loaded.weights) == len(EXPERTS)
    assert loaded.temperature == model.temperature
    np.testing.assert_allclose(
        probabilities(loaded, texts, vectors), probabilities(model, texts, vectors)
    )
    # Never pickle: a skops zip whose schema names no pickled part.
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert set(skops.io.get_untrusted_types(data=data)) <= TRUSTED_TYPES


def test_the_model_suggests_what_it_learned(
    trained: tuple[TrainedModel, list[str], np.ndarray, np.ndarray],
) -> None:
    model, texts, vectors, _ = trained
    predicted = probabilities(model, texts, vectors).argmax(axis=1)
    assert [DOCUMENT_CATEGORIES[i] for i in predicted] == [
        category for category in WORDS for _ in range(6)
    ]
    assert model.metrics.cv_macro_f1 == 1.0
    assert model.metrics.samples == {"contract": 6, "medical": 6, "payslip": 6}
    assert date.fromisoformat(model.metrics.created_at[:10]) <= date.today()


def test_a_wrong_hash_is_refused(
    trained: tuple[TrainedModel, list[str], np.ndarray, np.ndarray],
) -> None:
    data = dumps(trained[0])
    with pytest.raises(ModelRefused, match="SHA-256"):
        loads(data, sha256(data + b"x"))
    with pytest.raises(ModelRefused, match="SHA-256"):
        loads(data[:-1] + bytes([data[-1] ^ 1]), sha256(data))


def test_untrusted_types_are_refused_even_with_the_right_hash() -> None:
    # A datetime.date is harmless, but nothing here trusts it: what is not on the list
    # is never loaded, whatever its hash.
    data = skops.io.dumps({"format": 1, "when": date(2031, 3, 12)})
    with pytest.raises(ModelRefused, match=r"untrusted types: \['datetime.date'\]"):
        loads(data, sha256(data))


def test_bytes_of_another_shape_are_refused() -> None:
    data = skops.io.dumps({"format": 99, "categories": list(DOCUMENT_CATEGORIES)})
    with pytest.raises(ModelRefused, match="format"):
        loads(data, sha256(data))
