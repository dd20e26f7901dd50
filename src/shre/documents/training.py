"""The document classifier learns the organisation's way of filing: hr's reviews of
suggested categories (`PATCH {category}` by hr or admin records `category_reviewed_at`)
are its labels. The `documents.retrain` job (daily, or when an admin asks) trains a model
on them and the shipped corpus once there are AI_RETRAIN_MIN_LABELS, and again whenever
hr has reviewed more since; the model replaces the one in use only when it measures at
least as well as the shipped model on the organisation's documents
(`shre.intelligence.retrain`).

Models are kept in the database (`classifier_models`, the last KEEP and the one in use):
versioned, with their measures, the skops bytes sealed under a subkey of the master key
(a model's vocabulary holds words of the documents it learnt from) and their SHA-256,
checked before skops reads a byte. Workers load the model in use from there, and only
from there; one they cannot open (its master key removed, its bytes changed) is logged
and the shipped model classifies instead until the next retraining.

The documents' text is extracted again inside the job, from the files, and kept nowhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

import structlog
from anyio import to_thread
from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from shre.api.runtime import Runtime
from shre.audit import AuditTrail
from shre.db import read_only_session
from shre.documents.classifiers import sealer
from shre.documents.models import ClassifierModel, Document
from shre.documents.tasks import current_text
from shre.intelligence import ai_off

if TYPE_CHECKING:
    from shre.intelligence.retrain import Retrained

log = structlog.get_logger("shre.documents")

RETRAIN: Final = "documents.retrain"
# One retraining at a time, and at most one waiting.
RETRAIN_LOCK: Final = "classifier:retrain"
# Models kept besides the one in use (for the record, and to go back to).
KEEP: Final = 5


@dataclass(frozen=True, slots=True)
class Labels:
    """What hr has reviewed, against what the newest model learnt from."""

    reviewed: int  # live documents whose category hr confirmed or corrected
    newest: datetime | None  # the newest review
    learnt_until: datetime | None  # the newest review the newest model learnt from

    def ready(self, minimum: int) -> bool:
        """Enough reviews, some newer than the newest model's."""
        if self.reviewed < minimum or self.newest is None:
            return False
        return self.learnt_until is None or self.newest > self.learnt_until


async def labels(session: AsyncSession) -> Labels:
    reviewed = Document.category_reviewed_at.is_not(None) & Document.deleted_at.is_(None)
    count, newest = (
        await session.execute(
            select(func.count(), func.max(Document.category_reviewed_at)).where(reviewed)
        )
    ).one()
    learnt = await session.scalar(select(func.max(ClassifierModel.labelled_until)))
    return Labels(int(count), newest, learnt)


async def retrain(runtime: Runtime) -> None:
    """The job: see the module."""
    missing = ai_off(runtime.settings.shre_ai)
    if missing is not None:
        log.info("classifier.retrain_skipped", reason=missing)
        return
    async with read_only_session(runtime.sessionmaker) as session:
        state = await labels(session)
        if not state.ready(runtime.settings.ai_retrain_min_labels):
            log.info(
                "classifier.retrain_skipped",
                reason="no new reviews" if state.reviewed else "no reviews",
                reviewed=state.reviewed,
            )
            return
        rows = (
            await session.execute(
                select(Document.id, Document.current_version, Document.category)
                .where(
                    Document.category_reviewed_at.is_not(None),
                    Document.deleted_at.is_(None),
                    Document.category_reviewed_at <= state.newest,
                )
                .order_by(Document.category_reviewed_at, Document.id)
            )
        ).all()
    texts, categories = await _texts(runtime, rows)
    if len(texts) < runtime.settings.ai_retrain_min_labels:
        log.info("classifier.retrain_skipped", reason="too few readable", readable=len(texts))
        return
    retrained = await to_thread.run_sync(_train, texts, categories)
    model_id = uuid.uuid4()
    sealed = sealer(runtime, model_id).seal(retrained.data)
    async with runtime.sessionmaker() as session, session.begin():
        session.add(
            ClassifierModel(
                id=model_id,
                version=retrained.model.metrics.version,
                active=False,
                sha256=retrained.sha256,
                artifact=sealed,
                labels=len(texts),
                labelled_until=state.newest,
                metrics=retrained.metrics,
                outcome=retrained.outcome[:200],
            )
        )
        await session.flush()
        if retrained.activate:
            await activate(session, retrained.model.metrics.version)
        await _prune(session)
        trail = AuditTrail.system(session, runtime.sessionmaker)
        await trail.record("classifier.retrain", target_type="classifier_model", target_id=model_id)
    log.info(
        "classifier.retrained",
        version=retrained.model.metrics.version,
        active=retrained.activate,
        labels=len(texts),
        org_macro_f1=retrained.metrics["org_macro_f1"],
        shipped_org_macro_f1=retrained.metrics["shipped_org_macro_f1"],
    )


async def _texts(
    runtime: Runtime, rows: Sequence[Row[uuid.UUID, int, str]]
) -> tuple[list[str], list[str]]:
    """The reviewed documents' texts and categories; those without text (a scan, a
    format no parser reads, a file too large) teach nothing and are left out."""
    texts: list[str] = []
    categories: list[str] = []
    for document_id, version, category in rows:
        text = await current_text(runtime, document_id, version)
        if text and text.strip():
            texts.append(text)
            categories.append(category)
    return texts, categories


def _train(texts: list[str], categories: list[str]) -> Retrained:
    from shre.intelligence.baseline import load_baseline
    from shre.intelligence.corpus import training_corpus
    from shre.intelligence.embedding import get_embedder
    from shre.intelligence.retrain import retrain as fit

    return fit(texts, categories, training_corpus(), get_embedder(), load_baseline())


async def _prune(session: AsyncSession) -> None:
    """Keep the newest KEEP models and the one in use."""
    kept = select(ClassifierModel.id).order_by(ClassifierModel.created_at.desc()).limit(KEEP)
    await session.execute(
        delete(ClassifierModel).where(
            ClassifierModel.active.is_(False), ClassifierModel.id.not_in(kept.scalar_subquery())
        )
    )


async def models(session: AsyncSession) -> list[ClassifierModel]:
    """The kept models, newest first (their bytes not loaded)."""
    result = await session.execute(
        select(ClassifierModel)
        .options(defer(ClassifierModel.artifact))
        .order_by(ClassifierModel.created_at.desc())
    )
    return list(result.scalars())


class UnknownModel(Exception):
    """No kept model has this version."""


async def activate(session: AsyncSession, version: str | None) -> None:
    """Make model `version` the one in use (None: the shipped model), in the caller's
    transaction; workers take it for their next document."""
    if version is not None:
        found = await session.scalar(
            select(ClassifierModel.id).where(ClassifierModel.version == version)
        )
        if found is None:
            raise UnknownModel(version)
    await session.execute(
        update(ClassifierModel).where(ClassifierModel.active).values(active=False)
    )
    if version is not None:
        await session.flush()
        await session.execute(
            update(ClassifierModel).where(ClassifierModel.version == version).values(active=True)
        )


async def forget_employee(session: AsyncSession, employee_id: uuid.UUID) -> int:
    """An erasure: delete every kept model that learnt from a document of the employee
    (reviewed by its last review, not yet deleted when it was trained), since its
    vocabulary can hold words of theirs. When the model in use is one of them, the
    shipped model classifies again until the next retraining, which no longer sees the
    person's documents. Returns how many models were deleted."""
    reviewed = (
        await session.execute(
            select(Document.category_reviewed_at, Document.deleted_at).where(
                Document.employee_id == employee_id, Document.category_reviewed_at.is_not(None)
            )
        )
    ).all()
    if not reviewed:
        return 0
    kept = (
        await session.execute(
            select(
                ClassifierModel.id,
                ClassifierModel.created_at,
                ClassifierModel.labelled_until,
                ClassifierModel.active,
            )
        )
    ).all()
    doomed = [
        model
        for model in kept
        if any(
            at <= model.labelled_until and (gone is None or gone > model.created_at)
            for at, gone in reviewed
        )
    ]
    if not doomed:
        return 0
    if any(model.active for model in doomed):
        await activate(session, None)
    await session.execute(
        delete(ClassifierModel).where(ClassifierModel.id.in_([m.id for m in doomed]))
    )
    log.info("classifier.models_forgotten", models=len(doomed))
    return len(doomed)
