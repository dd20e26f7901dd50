"""Document intelligence: a suggested category (with its confidence) and the expiry date
a document's text states. The heavy libraries (torch, sentence-transformers,
scikit-learn, skops) are the `ai` extra's and are imported only when a model is used:
`ai_available()` says whether they are installed."""

from shre.intelligence.classifier import Classifier, Suggestion, get_classifier, suggest
from shre.intelligence.embedding import Embedder, ai_available, ai_off, get_embedder
from shre.intelligence.expiry import find_expiry

__all__ = [
    "Classifier",
    "Embedder",
    "Suggestion",
    "ai_available",
    "ai_off",
    "find_expiry",
    "get_classifier",
    "get_embedder",
    "suggest",
]
