"""The classifier against the labelled corpus (tests/data/classify): the shipped baseline
on the held-out split, a model trained here, and one trained on shuffled labels (which
must learn nothing). MiniLM is loaded once for the module; the documents are embedded
once (the held-out split, and a sample of the train split)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
import pytest

from shre.intelligence import Classifier, Suggestion, ai_available, get_embedder
from shre.intelligence.baseline import ARTIFACT, MAX_BYTES, load_baseline, manifest
from shre.intelligence.corpus import Labelled, load_split
from shre.intelligence.embedding import Embedder
from shre.intelligence.evaluation import evaluate
from shre.intelligence.model import TrainedModel, train
from shre.intelligence.store import sha256
from shre.intelligence.zeroshot import ZeroShot
from shre.policy import DOCUMENT_CATEGORIES

pytestmark = pytest.mark.ai

CHANCE = 1 / len(DOCUMENT_CATEGORIES)
# Train documents per category the tests train on (the whole split is the baseline's).
SAMPLE = 8


@dataclass(frozen=True)
class Embedded:
    corpus: Labelled
    vectors: np.ndarray
    zero_shot: np.ndarray

    def __repr__(self) -> str:
        return f"Embedded({len(self.corpus)} documents)"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    assert ai_available() is None
    return get_embedder()


@pytest.fixture(scope="module")
def zero_shot(embedder: Embedder) -> ZeroShot:
    return ZeroShot(embedder)


def embedded(corpus: Labelled, embedder: Embedder, zero_shot: ZeroShot) -> Embedded:
    vectors = embedder.embed(corpus.texts)
    return Embedded(corpus, vectors, zero_shot.probabilities(vectors))


@pytest.fixture(scope="module")
def heldout(embedder: Embedder, zero_shot: ZeroShot) -> Embedded:
    return embedded(load_split("heldout"), embedder, zero_shot)


@pytest.fixture(scope="module")
def train_sample(embedder: Embedder, zero_shot: ZeroShot) -> Embedded:
    split = load_split("train")
    taken: Counter[str] = Counter()
    at = []
    for index, label in enumerate(split.labels):
        if taken[label] < SAMPLE:
            taken[label] += 1
            at.append(index)
    sample = Labelled(
        [split.texts[i] for i in at], [split.labels[i] for i in at], [split.names[i] for i in at]
    )
    return embedded(sample, embedder, zero_shot)


def macro_f1(model: TrainedModel, data: Embedded) -> float:
    probabilities = model.probabilities(data.corpus.texts, data.vectors, data.zero_shot)
    predicted = [DOCUMENT_CATEGORIES[i] for i in probabilities.argmax(axis=1)]
    return evaluate(data.corpus.labels, predicted).macro_f1


def test_embeddings_are_normalised_rows(embedder: Embedder) -> None:
    long_text = "Gehaltsabrechnung für März. " * 2000  # far past the chunks read
    vectors = embedder.embed(["Payslip for March", long_text, "", "Payslip for March"])
    assert vectors.shape == (4, embedder.dimensions)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[3], atol=1e-6)


def test_the_shipped_baseline_is_what_model_json_says() -> None:
    info = manifest()
    data = ARTIFACT.read_bytes()
    assert sha256(data) == info["sha256"]
    assert len(data) == info["bytes"] < MAX_BYTES
    model = load_baseline()
    assert model.metrics.version == info["version"]
    # Built from the corpus as it is: a changed train split needs
    # `python -m shre.intelligence.baseline build`.
    assert model.metrics.samples == dict(sorted(Counter(load_split("train").labels).items()))


def test_the_shipped_baseline_reaches_085_on_the_heldout_split(heldout: Embedded) -> None:
    model = load_baseline()
    assert macro_f1(model, heldout) >= 0.85
    for language in ("en", "de"):
        at = [i for i, lang in enumerate(heldout.corpus.languages) if lang == language]
        part = Embedded(
            Labelled(
                [heldout.corpus.texts[i] for i in at],
                [heldout.corpus.labels[i] for i in at],
                [heldout.corpus.names[i] for i in at],
            ),
            heldout.vectors[at],
            heldout.zero_shot[at],
        )
        assert macro_f1(model, part) >= 0.8, language


def test_confidence_is_a_calibrated_probability(heldout: Embedded) -> None:
    model = load_baseline()
    probabilities = model.probabilities(heldout.corpus.texts, heldout.vectors, heldout.zero_shot)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    predicted = [DOCUMENT_CATEGORIES[i] for i in probabilities.argmax(axis=1)]
    accuracy = evaluate(heldout.corpus.labels, predicted).accuracy
    assert abs(float(probabilities.max(axis=1).mean()) - accuracy) < 0.1


def test_zero_shot_knows_categories_without_training(heldout: Embedded) -> None:
    predicted = [DOCUMENT_CATEGORIES[i] for i in heldout.zero_shot.argmax(axis=1)]
    assert evaluate(heldout.corpus.labels, predicted).macro_f1 > 3 * CHANCE


def test_a_model_trained_here_beats_chance(train_sample: Embedded, heldout: Embedded) -> None:
    data = train_sample.corpus
    model = train(data.texts, data.labels, train_sample.vectors, train_sample.zero_shot, folds=3)
    # Eight documents per category: far below the baseline, far above chance.
    assert model.metrics.cv_macro_f1 > 5 * CHANCE
    assert macro_f1(model, heldout) > 5 * CHANCE


def test_shuffled_labels_teach_nothing(train_sample: Embedded, heldout: Embedded) -> None:
    """The trained experts alone (no zero-shot, no keywords), on labels shuffled across
    documents: both the cross-validated and the held-out macro-F1 stay near chance."""
    data = train_sample.corpus
    labels = list(data.labels)
    random.Random(3).shuffle(labels)
    model = train(
        data.texts,
        labels,
        train_sample.vectors,
        train_sample.zero_shot,
        folds=3,
        weights=(1.0, 1.0, 0.0, 0.0),
    )
    assert model.metrics.cv_macro_f1 < 2.5 * CHANCE
    assert macro_f1(model, heldout) < 2.5 * CHANCE


def test_a_suggestion_for_an_uploaded_document(embedder: Embedder, zero_shot: ZeroShot) -> None:
    classifier = Classifier(embedder, load_baseline(), zero_shot)
    passport = (
        "PASSPORT  REISEPASS\nSurname / Name  MUSTERMANN\nGiven names / Vornamen  ERIKA\n"
        "Date of birth / Geburtstag  12.08.1983\nDate of issue / Ausstellungsdatum  02.02.2022\n"
        "Date of expiry / Gültig bis  01.02.2032\nP<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<"
    )
    payslip = (
        "Gehaltsabrechnung März 2025\nBruttobezüge 4.200,00 EUR\nLohnsteuer 612,08\n"
        "Rentenversicherung 390,60\nKrankenversicherung 344,40\nAuszahlungsbetrag 2.746,10 EUR"
    )
    first, second, empty = classifier.predict_many([passport, payslip, "  \n"])
    assert first == Suggestion("identity", first.confidence, date(2032, 2, 1))
    assert second.category == "payslip"
    assert second.expires_on is None
    assert 0.5 < first.confidence <= 1.0
    assert 0.5 < second.confidence <= 1.0
    assert empty == Suggestion("other", 0.0, None)
    assert classifier.source == load_baseline().metrics.version
