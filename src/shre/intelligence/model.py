"""The trained classifier: four experts pooled in log space, then calibrated.

- a logistic regression over the MiniLM embedding (the document's meaning),
- a logistic regression over TF-IDF word and character n-grams (its vocabulary, which
  carries German and OCR-damaged text that the English MiniLM reads poorly),
- zero-shot: the embedding against the categories' descriptions, and
- the categories' keywords (English and German),

the last two being knowledge no training set has to teach, and a brake on what a small
corpus would make the first two believe. Their log-probabilities are summed with fixed
weights and softmaxed with a temperature fitted on out-of-fold predictions, so that the
confidence is a calibrated probability."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from shre.intelligence import keywords
from shre.intelligence.evaluation import evaluate
from shre.intelligence.zeroshot import softmax
from shre.policy import DOCUMENT_CATEGORIES

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

FORMAT = 1
EXPERTS = ("embedding", "text", "zero_shot", "keywords")
# In EXPERTS order, chosen by measurement (bench/classify.py; out-of-fold macro-F1 over
# the whole corpus, 5 folds twice): the TF-IDF expert is the strongest alone (0.94), the
# embedding's the weakest (0.80; 0.63 in German), keywords 0.81, zero-shot 0.65; pooled
# with these weights 0.96. Corpus-best settings gave zero-shot and keywords 0.25; they
# keep 0.5 here for the documents no corpus had (within 0.01 of the best).
WEIGHTS = (0.5, 2.0, 0.5, 0.5)
FOLDS = 5
# What a category the training data lacks gets from a trained expert, before pooling.
_FLOOR = 1e-4
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Metrics:
    cv_macro_f1: float  # cross-validated on the training data (out-of-fold predictions)
    cv_folds: int
    samples: dict[str, int]  # training documents per category
    created_at: str  # ISO 8601, UTC
    version: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TrainedModel:
    embedding: Any  # sklearn LogisticRegression over embeddings
    text: Any  # sklearn Pipeline: TF-IDF words + characters -> LogisticRegression
    weights: tuple[float, ...]
    temperature: float
    metrics: Metrics
    categories: tuple[str, ...] = field(default=DOCUMENT_CATEGORIES)
    # What a fit that had not seen each training text predicted for it (a model just
    # trained; not stored): for measuring on a part of the texts.
    out_of_fold: Sequence[str] = field(default=(), compare=False, repr=False)

    def probabilities(
        self,
        texts: Sequence[str],
        vectors: NDArray[np.float32],
        zero_shot: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """(documents, categories) in `categories` order, rows summing to 1."""
        with one_thread():
            logits = _pooled((self.embedding, self.text, self.weights), texts, vectors, zero_shot)
        return softmax(logits / self.temperature)


def one_thread() -> AbstractContextManager[object]:
    """BLAS and OpenMP on one thread: the matrices here are small, and threads fighting
    over a shared CPU made a fit ten times slower than one thread does."""
    from threadpoolctl import threadpool_limits

    return cast(AbstractContextManager[object], threadpool_limits(limits=1))


def normalise(text: str) -> str:
    """What the TF-IDF expert reads: digits as 0 (amounts, dates and numbers say little
    about a kind of document and much about one document), whitespace collapsed."""
    return _SPACES.sub(" ", _DIGITS.sub("0", text)).strip()


def text_pipeline(seed: int = 0) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    words = TfidfVectorizer(
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",  # noqa: S106 (words of letters, not a secret)
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.5,
        max_features=6000,
        sublinear_tf=True,
        strip_accents="unicode",
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        min_df=2,
        max_df=0.5,
        max_features=10000,
        sublinear_tf=True,
        strip_accents="unicode",
    )
    union = FeatureUnion([("words", words), ("chars", chars)])
    classifier = LogisticRegression(C=30.0, max_iter=3000, random_state=seed)
    return Pipeline([("features", union), ("classifier", classifier)])


def embedding_classifier(seed: int = 0) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=100.0, max_iter=3000, random_state=seed)


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    vectors: NDArray[np.float32],
    zero_shot: NDArray[np.float64],
    *,
    folds: int = FOLDS,
    weights: tuple[float, ...] = WEIGHTS,
    seed: int = 0,
    sample_weight: Sequence[float] | None = None,
) -> TrainedModel:
    """Fit both trained experts on every document, after measuring the pool out of fold:
    the cross-validated macro-F1, the temperature and `out_of_fold` come from those
    predictions. `vectors` are the texts' embeddings, `zero_shot` the zero-shot
    probabilities, `sample_weight` how much each text counts in the fits (all 1: None)."""
    with one_thread():
        return _train(texts, labels, vectors, zero_shot, folds, weights, seed, sample_weight)


def _train(
    texts: Sequence[str],
    labels: Sequence[str],
    vectors: NDArray[np.float32],
    zero_shot: NDArray[np.float64],
    folds: int,
    weights: tuple[float, ...],
    seed: int,
    sample_weight: Sequence[float] | None,
) -> TrainedModel:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    unknown = set(labels) - set(DOCUMENT_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories: {sorted(unknown)}")
    if len(texts) != len(labels) or len(texts) != len(vectors):
        raise ValueError("texts, labels and vectors differ in length")
    cleaned = [normalise(text) for text in texts]
    target = np.asarray(labels)
    counts = np.asarray(sample_weight if sample_weight is not None else [1.0] * len(texts))
    if len(counts) != len(texts):
        raise ValueError("texts and sample weights differ in length")
    folds = min(folds, min(Counter(labels).values()))
    out_of_fold = np.zeros((len(texts), len(DOCUMENT_CATEGORIES)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_at, held_at in splitter.split(cleaned, target):
        embedding, text = _fit(
            [cleaned[i] for i in fit_at], target[fit_at], vectors[fit_at], counts[fit_at], seed
        )
        out_of_fold[held_at] = _pooled(
            (embedding, text, weights),
            [texts[i] for i in held_at],
            vectors[held_at],
            zero_shot[held_at],
        )
    predicted = [DOCUMENT_CATEGORIES[i] for i in out_of_fold.argmax(axis=1)]
    score = evaluate(labels, predicted).macro_f1
    truth = np.asarray([DOCUMENT_CATEGORIES.index(label) for label in labels])
    temperature = _fit_temperature(out_of_fold, truth)
    created = datetime.now(UTC)
    metrics = Metrics(
        cv_macro_f1=round(score, 4),
        cv_folds=folds,
        samples=dict(sorted(Counter(labels).items())),
        created_at=created.isoformat(timespec="seconds"),
        version=f"{FORMAT}.{created:%Y%m%d%H%M%S}",
    )
    embedding, text = _fit(cleaned, target, vectors, counts, seed)
    return TrainedModel(embedding, text, weights, temperature, metrics, out_of_fold=predicted)


def _fit(
    texts: Sequence[str],
    labels: NDArray[Any],
    vectors: NDArray[np.float32],
    counts: NDArray[np.float64],
    seed: int,
) -> tuple[Any, Any]:
    """The two trained experts, fitted (texts normalised; `counts`: sample weights)."""
    embedding = embedding_classifier(seed).fit(vectors, labels, sample_weight=counts)
    text = text_pipeline(seed).fit(list(texts), labels, classifier__sample_weight=counts)
    return embedding, text


def _pooled(
    parts: tuple[Any, Any, tuple[float, ...]],
    texts: Sequence[str],
    vectors: NDArray[np.float32],
    zero_shot: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The weighted sum of the experts' log-probabilities (before the temperature), for
    texts as written (the text expert reads them normalised). `parts`: the embedding
    and text experts and the weights."""
    import numpy as np

    by_meaning, by_words, weights = parts
    cleaned = [normalise(text) for text in texts]
    experts = (
        _spread(by_meaning, by_meaning.predict_proba(vectors)),
        _spread(by_words, by_words.predict_proba(cleaned)),
        zero_shot,
        keywords.probabilities(texts),
    )
    pooled = np.zeros((len(texts), len(DOCUMENT_CATEGORIES)))
    for weight, probabilities in zip(weights, experts, strict=True):
        if weight:
            pooled += weight * np.log(np.clip(probabilities, 1e-12, 1.0))
    return pooled


def _spread(estimator: Any, probabilities: NDArray[np.float64]) -> NDArray[np.float64]:
    """An estimator's columns (its classes_) put in DOCUMENT_CATEGORIES order."""
    import numpy as np

    full = np.full((len(probabilities), len(DOCUMENT_CATEGORIES)), _FLOOR)
    for column, category in enumerate(estimator.classes_):
        full[:, DOCUMENT_CATEGORIES.index(str(category))] = probabilities[:, column]
    result: NDArray[np.float64] = full / full.sum(axis=1, keepdims=True)
    return result


def _fit_temperature(logits: NDArray[np.float64], truth: NDArray[Any]) -> float:
    """The temperature minimising the log loss of the out-of-fold predictions."""
    import numpy as np

    best, best_loss = 1.0, float("inf")
    for temperature in np.geomspace(0.05, 8.0, 81):
        probabilities = softmax(logits / temperature)
        loss = -float(np.mean(np.log(probabilities[np.arange(len(truth)), truth] + 1e-12)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return round(best, 4)
