"""The classifier documents' jobs use: the model in use (`classifier_models`, see
shre.documents.training), loaded from the database only, its bytes opened under the
master key and checked against their SHA-256 before skops reads them; the shipped model
when none is in use or the one in use cannot be opened."""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Final

import structlog
from anyio import to_thread
from sqlalchemy import select

from shre.api.runtime import Runtime
from shre.crypto import CryptoError
from shre.crypto.derived import SealedBlob
from shre.db import read_only_session
from shre.documents.models import ClassifierModel

if TYPE_CHECKING:
    from shre.intelligence.classifier import Classifier

log = structlog.get_logger("shre.documents")

_PURPOSE: Final = b"shre/classifier-model/v1"


def sealer(runtime: Runtime, model_id: uuid.UUID) -> SealedBlob:
    """What seals and opens the bytes of model `model_id`."""
    return SealedBlob(runtime.keyring, _PURPOSE, "classifier_models", "artifact", str(model_id))


# The classifiers this process has loaded, by the SHA-256 of their bytes (None: refused).
_loaded: dict[str, Classifier | None] = {}
_loading = threading.Lock()


async def classifier_in_use(runtime: Runtime) -> Classifier:
    """The classifier of the model in use, else the shipped one."""
    from shre.intelligence.classifier import get_classifier

    async with read_only_session(runtime.sessionmaker) as session:
        active = (
            await session.execute(
                select(ClassifierModel.id, ClassifierModel.version, ClassifierModel.sha256).where(
                    ClassifierModel.active
                )
            )
        ).one_or_none()
        sealed = None
        if active is not None and active.sha256 not in _loaded:
            sealed = await session.scalar(
                select(ClassifierModel.artifact).where(ClassifierModel.id == active.id)
            )
    if active is None:
        return await to_thread.run_sync(get_classifier)
    if sealed is not None:
        _loaded[active.sha256] = await to_thread.run_sync(
            _open, runtime, active.id, active.version, active.sha256, sealed
        )
    loaded = _loaded.get(active.sha256)
    return loaded if loaded is not None else await to_thread.run_sync(get_classifier)


def _open(
    runtime: Runtime, model_id: uuid.UUID, version: str, digest: str, sealed: bytes
) -> Classifier | None:
    from shre.intelligence.classifier import Classifier, get_classifier
    from shre.intelligence.store import ModelRefused, loads

    with _loading:
        try:
            model = loads(sealer(runtime, model_id).open(sealed), digest)
        except (CryptoError, ModelRefused) as exc:
            log.error(
                "classifier.model_refused",
                version=version,
                error_type=type(exc).__name__,
                error=str(exc)[:200],
            )
            return None
        shipped = get_classifier()
        return Classifier(shipped.embedder, model, shipped.zero_shot)
