"""Document classification on the labelled corpus (tests/data/classify).

    python -m bench.classify [--corpus DIR] [--runs 1]

Loads MiniLM (timed), embeds the train and held-out splits (documents/s, chunks/s),
then evaluates on the held-out split: zero-shot (the categories' descriptions only),
a model trained here on the train split, and the shipped baseline
(src/shre/intelligence/baseline); also the parts that need no training: zero-shot
(the embedding against the categories' descriptions), the keywords, and the two pooled
(what ships when no trained model does); last, a retraining as the `documents.retrain`
job makes one (the held-out split standing for an organisation's reviewed documents:
its time, and how the new model and the shipped one score on them out of fold). For
each: macro-F1, per-category F1, macro-F1 per
language (file names start with en- or de-), and the confusion matrix (rows: labels,
columns: predictions). Needs the `ai` extra.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from shre.intelligence import keywords
from shre.intelligence.baseline import load_baseline, manifest
from shre.intelligence.classifier import Classifier
from shre.intelligence.corpus import DEFAULT_ROOT, Labelled, load_split
from shre.intelligence.embedding import MAX_CHUNKS, chunks, get_embedder
from shre.intelligence.evaluation import evaluate
from shre.intelligence.model import train
from shre.intelligence.retrain import retrain
from shre.intelligence.zeroshot import ZeroShot
from shre.policy import DOCUMENT_CATEGORIES


def report(name: str, corpus: Labelled, predicted: list[str]) -> None:
    result = evaluate(corpus.labels, predicted)
    languages = corpus.languages
    by_language = []
    for language in sorted(set(languages)):
        at = [i for i, lang in enumerate(languages) if lang == language]
        part = evaluate([corpus.labels[i] for i in at], [predicted[i] for i in at])
        by_language.append(f"{language} {part.macro_f1:.3f} ({len(at)} docs)")
    print(f"\n== {name}: macro-F1 {result.macro_f1:.3f}, accuracy {result.accuracy:.3f}")
    print("   per language: " + ", ".join(by_language))
    print("   per category: " + ", ".join(f"{c} {f:.2f}" for c, f in result.f1.items()))
    print(result.table())
    wrong = [f"{corpus.names[i]} -> {p}" for i, p in enumerate(predicted) if p != corpus.labels[i]]
    if wrong:
        print("   wrong: " + "; ".join(wrong))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--runs", type=int, default=1, help="embedding runs (median docs/s)")
    args = parser.parse_args()

    started = time.perf_counter()
    embedder = get_embedder()
    print(f"model load: {time.perf_counter() - started:.2f} s (torch + MiniLM, cold)")

    train_split, heldout = load_split("train", args.corpus), load_split("heldout", args.corpus)
    texts = train_split.texts + heldout.texts
    pieces = sum(len(chunks(text)) for text in texts)
    rates = []
    for _ in range(args.runs):
        started = time.perf_counter()
        vectors = embedder.embed(texts)
        rates.append(time.perf_counter() - started)
    elapsed = statistics.median(rates)
    print(
        f"embedding: {len(texts)} docs ({pieces} chunks, at most {MAX_CHUNKS} per doc) in "
        f"{elapsed:.1f} s: {len(texts) / elapsed:.1f} docs/s, {pieces / elapsed:.1f} chunks/s"
    )
    train_vectors, heldout_vectors = vectors[: len(train_split)], vectors[len(train_split) :]
    print(f"train {len(train_split)} docs, held-out {len(heldout)} docs")

    zero_shot = ZeroShot(embedder)
    described = zero_shot.probabilities(heldout_vectors)
    report("zero-shot (descriptions)", heldout, names(described))
    report("keywords", heldout, names(keywords.probabilities(heldout.texts)))
    plain = Classifier(embedder, None, zero_shot)
    report(
        "untrained (zero-shot + keywords)",
        heldout,
        names(plain.probabilities(heldout.texts, heldout_vectors)),
    )

    started = time.perf_counter()
    model = train(
        train_split.texts,
        train_split.labels,
        train_vectors,
        zero_shot.probabilities(train_vectors),
    )
    print(
        f"\ntrained in {time.perf_counter() - started:.1f} s: cross-validated macro-F1 "
        f"{model.metrics.cv_macro_f1:.3f} ({model.metrics.cv_folds} folds), "
        f"temperature {model.temperature}"
    )
    trained = Classifier(embedder, model, zero_shot)
    report(
        "trained here (train split)",
        heldout,
        names(trained.probabilities(heldout.texts, heldout_vectors)),
    )

    started = time.perf_counter()
    shipped = Classifier(embedder, load_baseline(), zero_shot)
    info = manifest()
    print(
        f"\nshipped baseline {info['version']} ({info['bytes'] / 1024:.0f} KiB) loaded in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    shipped_probabilities = shipped.probabilities(heldout.texts, heldout_vectors)
    report("shipped baseline", heldout, names(shipped_probabilities))
    # The baseline is trained on the same split by the same code: a difference means it
    # is stale (rebuild it: python -m shre.intelligence.baseline build).
    here = trained.probabilities(heldout.texts, heldout_vectors)
    print(
        f"\nshipped vs trained here: {sum(np.equal(names(here), names(shipped_probabilities)))}"
        f"/{len(heldout)} same predictions, largest probability difference "
        f"{float(np.abs(here - shipped_probabilities).max()):.2g}"
    )

    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        retrained = retrain(heldout.texts, heldout.labels, train_split, embedder, load_baseline())
        timings.append(time.perf_counter() - started)
    print(
        f"\nretrained on the {len(heldout)} held-out documents as an organisation's reviews "
        f"(with the {len(train_split)} of the corpus, whose embeddings a process computes once) in "
        f"{statistics.median(timings):.1f} s (median of {args.runs}): {retrained.outcome}; "
        f"the corpus out of fold {retrained.metrics['corpus_macro_f1']:.3f}, "
        f"{len(retrained.data) / 1024:.0f} KiB"
    )


def names(probabilities: NDArray[np.float64]) -> list[str]:
    return [DOCUMENT_CATEGORIES[int(row.argmax())] for row in probabilities]


if __name__ == "__main__":
    main()
