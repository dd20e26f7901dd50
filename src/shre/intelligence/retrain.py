"""A classifier retrained on an organisation's reviewed documents, and whether it should
replace the model in use.

It learns from the shipped corpus (what the baseline learnt) and the organisation's
documents together, these counting ORG_WEIGHT times: its own way of filing documents
wins where the two disagree, and categories it has few examples of keep what the corpus
taught. It is measured where it matters, on the organisation's documents, out of fold
(each predicted by a fit that had not seen it), against the shipped model on the same
documents; and on the corpus, so that learning one organisation's habits does not
unlearn the kinds of document. CPU-bound: run it in a worker thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shre.intelligence.classifier import MAX_CHARS
from shre.intelligence.corpus import Labelled
from shre.intelligence.embedding import Embedder
from shre.intelligence.evaluation import evaluate
from shre.intelligence.model import TrainedModel, train
from shre.intelligence.store import dumps, sha256
from shre.intelligence.zeroshot import ZeroShot
from shre.policy import DOCUMENT_CATEGORIES

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# How much one reviewed document of the organisation counts against one of the corpus.
ORG_WEIGHT = 3.0
# The corpus's out-of-fold macro-F1 a retrained model must keep (the bar for a
# fresh installation).
CORPUS_FLOOR = 0.85


# The corpus's embeddings, by embedder and corpus: the same at every retraining.
_embedded: dict[tuple[int, int], NDArray[np.float32]] = {}


def _corpus_vectors(corpus: Labelled, embedder: Embedder) -> NDArray[np.float32]:
    key = (id(embedder), hash(tuple(corpus.texts)))
    if key not in _embedded:
        _embedded[key] = embedder.embed(corpus.texts)
    return _embedded[key]


@dataclass(frozen=True, slots=True)
class Retrained:
    model: TrainedModel
    data: bytes  # skops
    sha256: str
    metrics: dict[str, Any]
    activate: bool
    outcome: str  # why it is, or is not, to be the active model


def retrain(
    texts: Sequence[str],
    labels: Sequence[str],
    corpus: Labelled,
    embedder: Embedder,
    baseline: TrainedModel,
) -> Retrained:
    """Train on `corpus` and the organisation's `texts`/`labels`; measure against
    `baseline` (the shipped model) on the organisation's documents."""
    if len(texts) != len(labels) or not texts:
        raise ValueError("texts and labels must be as many, and some")
    import numpy as np

    org = [text[:MAX_CHARS] for text in texts]
    all_texts = [*corpus.texts, *org]
    all_labels = [*corpus.labels, *labels]
    vectors = np.concatenate([_corpus_vectors(corpus, embedder), embedder.embed(org)])
    zero_shot = ZeroShot(embedder).probabilities(vectors)
    weights = [1.0] * len(corpus) + [ORG_WEIGHT] * len(org)
    model = train(all_texts, all_labels, vectors, zero_shot, sample_weight=weights)
    predicted = list(model.out_of_fold)
    n = len(corpus)
    on_org = evaluate(list(labels), predicted[n:]).macro_f1
    on_corpus = evaluate(corpus.labels, predicted[:n]).macro_f1
    shipped = baseline.probabilities(org, vectors[n:], zero_shot[n:])
    shipped_on_org = evaluate(
        list(labels), [DOCUMENT_CATEGORIES[i] for i in shipped.argmax(axis=1)]
    ).macro_f1
    metrics: dict[str, Any] = {
        **model.metrics.as_dict(),
        "org_macro_f1": round(on_org, 4),
        "shipped_org_macro_f1": round(shipped_on_org, 4),
        "corpus_macro_f1": round(on_corpus, 4),
        "org_samples": {c: labels.count(c) for c in DOCUMENT_CATEGORIES if c in labels},
    }
    if on_corpus < CORPUS_FLOOR:
        activate = False
        outcome = (
            f"kept the model in use: on the shipped corpus it scores {on_corpus:.2f} "
            f"macro-F1, under {CORPUS_FLOOR}"
        )
    elif on_org < shipped_on_org:
        activate = False
        outcome = (
            f"kept the model in use: on the reviewed documents it scores {on_org:.2f} "
            f"macro-F1 out of fold, the shipped model {shipped_on_org:.2f}"
        )
    else:
        activate = True
        outcome = (
            f"in use: on the reviewed documents it scores {on_org:.2f} macro-F1 out of "
            f"fold, the shipped model {shipped_on_org:.2f}"
        )
    data = dumps(model)
    return Retrained(model, data, sha256(data), metrics, activate, outcome)
