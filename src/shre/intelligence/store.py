"""A trained model as bytes (skops, never pickle), and back only after two checks: the
bytes hash to the SHA-256 the caller holds (from model.json, or a database row), and they
hold no type beyond skops' scikit-learn/numpy defaults and TRUSTED_TYPES."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from shre.intelligence.model import EXPERTS, FORMAT, Metrics, TrainedModel, text_pipeline
from shre.policy import DOCUMENT_CATEGORIES

# Types trusted beyond skops' defaults. A model that needs another one is refused, and
# the one to add is named in the error: trusting it is a decision, made here.
TRUSTED_TYPES: frozenset[str] = frozenset()


class ModelRefused(Exception):
    """The bytes are not a model this process will load (hash, types or shape)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps(model: TrainedModel) -> bytes:
    import zipfile

    import skops.io

    state = {
        "format": FORMAT,
        "categories": list(model.categories),
        "embedding": model.embedding,
        "text": _text_state(model.text),
        "weights": list(model.weights),
        "temperature": model.temperature,
        "metrics": model.metrics.as_dict(),
    }
    data: bytes = skops.io.dumps(state, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    return data


def loads(data: bytes, expected_sha256: str) -> TrainedModel:
    """The model in `data`, if it hashes to `expected_sha256` and holds only trusted types."""
    import skops.io
    from sklearn.linear_model import LogisticRegression

    if not hmac.compare_digest(sha256(data), expected_sha256.lower()):
        raise ModelRefused("the model's SHA-256 does not match the expected one")
    untrusted = set(skops.io.get_untrusted_types(data=data))
    if untrusted - TRUSTED_TYPES:
        raise ModelRefused(f"the model holds untrusted types: {sorted(untrusted - TRUSTED_TYPES)}")
    state = skops.io.loads(data, trusted=sorted(untrusted))
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ModelRefused(f"not a model of format {FORMAT}")
    if tuple(state["categories"]) != DOCUMENT_CATEGORIES:
        raise ModelRefused("the model's categories are not this version's")
    if not isinstance(state["embedding"], LogisticRegression) or not isinstance(
        state["text"]["classifier"], LogisticRegression
    ):
        raise ModelRefused("the model's parts are not the expected estimators")
    weights = tuple(float(w) for w in state["weights"])
    if len(weights) != len(EXPERTS):
        raise ModelRefused(f"the model's weights are not {len(EXPERTS)}")
    return TrainedModel(
        embedding=state["embedding"],
        text=_text_pipeline(state["text"]),
        weights=weights,
        temperature=float(state["temperature"]),
        metrics=_metrics(state["metrics"]),
    )


def _text_state(pipeline: Any) -> dict[str, Any]:
    """The TF-IDF expert as arrays: each vectorizer's terms (in column order) and idf,
    and the classifier. skops writes a fitted vectorizer's vocabulary dict entry by entry,
    at some 700 bytes a term; as an array of strings it takes a few dozen."""
    import numpy as np

    vectorizers = [v for _, v in pipeline.named_steps["features"].transformer_list]
    return {
        "terms": [np.asarray(v.get_feature_names_out(), dtype=str) for v in vectorizers],
        "idf": [np.asarray(v.idf_, dtype=np.float64) for v in vectorizers],
        "classifier": pipeline.named_steps["classifier"],
    }


def _text_pipeline(state: dict[str, Any]) -> Any:
    """The pipeline `text_pipeline()` makes, with the stored vocabularies and weights."""
    pipeline = text_pipeline()
    vectorizers = [v for _, v in pipeline.named_steps["features"].transformer_list]
    if len(state["terms"]) != len(vectorizers) or len(state["idf"]) != len(vectorizers):
        raise ModelRefused("the model's text features are not this version's")
    for vectorizer, terms, idf in zip(vectorizers, state["terms"], state["idf"], strict=True):
        if len(terms) != len(idf):
            raise ModelRefused("the model's terms and idf weights differ in number")
        vectorizer.vocabulary_ = {str(term): index for index, term in enumerate(terms)}
        vectorizer.fixed_vocabulary_ = False
        vectorizer.idf_ = idf
    pipeline.steps[-1] = ("classifier", state["classifier"])
    return pipeline


def _metrics(raw: Any) -> Metrics:
    return Metrics(
        cv_macro_f1=float(raw["cv_macro_f1"]),
        cv_folds=int(raw["cv_folds"]),
        samples={str(k): int(v) for k, v in raw["samples"].items()},
        created_at=str(raw["created_at"]),
        version=str(raw["version"]),
    )
