"""The classifier learns the organisation's way of filing from hr's reviews: this one
files safety drill attendance records as certificates (training attended), which the
shipped model calls "other" more often than not. After hr's reviews and a retraining,
new drill records are suggested as certificates; the model is kept sealed in the
database, measured, and loaded only when its bytes match their SHA-256."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from shre.api.runtime import Runtime
from shre.documents import classifiers
from shre.documents.models import ClassifierModel
from shre.intelligence.classifier import Classifier, get_classifier
from shre.intelligence.corpus import DEFAULT_ROOT, load_split
from shre.intelligence.store import loads
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events
from tests.support.documents import DOCS, uploaded
from tests.support.jobs import settle, work_off

pytestmark = pytest.mark.ai

AI = "/api/v1/admin/ai"
SITES = ["Hamburg warehouse", "Leipzig plant", "Berlin office", "Munich depot", "Bremen yard"]
OFFICERS = ["J. Brandt", "M. Kowalski", "S. Nguyen", "A. Fischer", "L. Moreau", "T. Okoro"]
KINDS = ["fire evacuation drill", "forklift safety briefing", "first aid refresher"]
NOTES = [
    "Assembly point reached in under four minutes; no stragglers.",
    "Practical part completed by all participants present.",
    "Equipment checked before the session: extinguishers, kits and signage in order.",
    "Observations: two exits partly blocked by pallets; cleared the same day.",
]


def drill_record(seed: int) -> bytes:
    """A safety drill's attendance record, each one laid out a little differently."""
    r = random.Random(seed)
    kind = r.choice(KINDS)
    facts = [
        f"Site: {r.choice(SITES)}    Date: {r.randint(1, 28):02d}.{r.randint(1, 12):02d}.2026",
        f"Duration: {r.choice([20, 30, 45, 60, 90])} minutes",
        f"Conducted by: {r.choice(OFFICERS)}, site safety officer",
        f"Participants present: {r.randint(8, 40)}; absent with reason: {r.randint(0, 4)}",
    ]
    r.shuffle(facts)
    lines = [
        f"{kind.title()} - attendance record",
        *facts,
        "Each participant signed below to confirm attendance and understanding of the procedure.",
        r.choice(NOTES),
        "Signature of the safety officer: ________   Next session due in six months.",
    ]
    return "\n".join(lines).encode()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"shre_ai": True, "ai_retrain_min_labels": 10}


async def _suggestions(client: httpx.AsyncClient, admin: Account, ids: list[str]) -> list[str]:
    found = []
    for document_id in ids:
        body = (await client.get(f"{DOCS}/{document_id}", headers=admin.headers)).json()
        assert body["processed"] is True
        found.append(body["suggested_category"])
    return found


async def test_hrs_reviews_teach_the_classifier_the_organisations_filing(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    heldout = load_split("heldout", DEFAULT_ROOT)
    others = list(range(0, len(heldout), 9))  # one document of each category
    drills = [
        (await uploaded(client, admin.headers, drill_record(i), title=f"Drill {i}"))["id"]
        for i in range(12)
    ]
    kinds = [
        (await uploaded(client, admin.headers, heldout.texts[i].encode(), title=f"Doc {i}"))["id"]
        for i in others
    ]
    await work_off(runtime)
    shipped = await _suggestions(client, admin, drills)
    assert shipped.count("certificate") <= len(drills) // 2  # the shipped model's habit

    # Nothing to learn from yet.
    assert_problem(await client.post(f"{AI}/retrain", headers=admin.headers), 409)
    status = (await client.get(AI, headers=admin.headers)).json()
    assert status["training"] == {"reviewed": 0, "min_labels": 10, "ready": False}
    assert status["classifier"]["source"] == "shipped"
    assert status["models"] == []

    # hr files the drills as certificates, and confirms or corrects the rest.
    for document_id in drills:
        changed = await client.patch(
            f"{DOCS}/{document_id}", json={"category": "certificate"}, headers=hr.headers
        )
        assert changed.status_code == 200, changed.text
    for document_id, i in zip(kinds, others, strict=True):
        changed = await client.patch(
            f"{DOCS}/{document_id}", json={"category": heldout.labels[i]}, headers=hr.headers
        )
        assert changed.status_code == 200, changed.text
    assert (await client.get(AI, headers=admin.headers)).json()["training"]["ready"] is True
    assert_problem(await client.post(f"{AI}/retrain", headers=hr.headers), 403)

    asked = await client.post(f"{AI}/retrain", headers=admin.headers)
    assert asked.status_code == 202, asked.text
    assert await settle(runtime, asked.json()["job_id"], timeout=240) is None

    status = (await client.get(AI, headers=admin.headers)).json()
    [model] = status["models"]
    assert model["active"] is True
    assert model["labels"] == len(drills) + len(kinds)
    assert model["org_macro_f1"] > model["shipped_org_macro_f1"]
    assert model["outcome"].startswith("in use")
    assert status["classifier"] == {
        "version": model["version"],
        "source": "retrained",
        "cv_macro_f1": model["cv_macro_f1"],
        "samples": status["classifier"]["samples"],
    }
    assert status["classifier"]["samples"]["certificate"] >= len(drills)
    assert status["training"]["ready"] is False  # nothing reviewed since
    assert_problem(await client.post(f"{AI}/retrain", headers=admin.headers), 409)
    assert [e.action for e in await events(runtime, "classifier.retrain")] == ["classifier.retrain"]

    # New drill records are suggested as this organisation files them.
    new = [
        (await uploaded(client, admin.headers, drill_record(100 + i), title=f"New {i}"))["id"]
        for i in range(4)
    ]
    await work_off(runtime)
    assert await _suggestions(client, admin, new) == ["certificate"] * 4

    # It learnt the organisation's words (a safety officer's name among them), and they
    # are sealed at rest: the stored bytes are not the skops archive.
    async with runtime.sessionmaker() as session:
        row = (await session.execute(select(ClassifierModel))).scalar_one()
    opened = classifiers.sealer(runtime, row.id).open(row.artifact)
    learnt = loads(opened, row.sha256)
    assert learnt.metrics.version == model["version"]
    words = learnt.text.named_steps["features"].transformer_list[0][1].vocabulary_
    assert "kowalski" in words
    assert opened.startswith(b"PK")
    assert b"schema.json" in opened
    assert b"schema.json" not in row.artifact

    # The admin goes back to the shipped model, and forward again.
    back = await client.put(f"{AI}/model", json={"version": None}, headers=admin.headers)
    assert back.status_code == 200, back.text
    assert back.json()["source"] == "shipped"
    assert_problem(
        await client.put(f"{AI}/model", json={"version": "9.1"}, headers=admin.headers), 404
    )
    again = await client.put(f"{AI}/model", json={"version": model["version"]}, headers=hr.headers)
    assert_problem(again, 403)
    again = await client.put(
        f"{AI}/model", json={"version": model["version"]}, headers=admin.headers
    )
    assert again.json()["source"] == "retrained"
    assert len(await events(runtime, "classifier.choose")) == 2


@pytest.mark.parametrize("backend", ["postgres"])  # the same path as SQLite's: once is enough
async def test_a_model_whose_bytes_do_not_match_is_not_loaded(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    """A model row whose recorded SHA-256 is not its bytes' (changed behind shre's back)
    is refused before skops reads it: the shipped model classifies instead."""
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    heldout = load_split("heldout", DEFAULT_ROOT)
    chosen = list(range(0, len(heldout), 6))
    for i in chosen:
        document = await uploaded(client, admin.headers, heldout.texts[i].encode())
        changed = await client.patch(
            f"{DOCS}/{document['id']}", json={"category": heldout.labels[i]}, headers=hr.headers
        )
        assert changed.status_code == 200
    await work_off(runtime)
    asked = await client.post(f"{AI}/retrain", headers=admin.headers)
    assert await settle(runtime, asked.json()["job_id"], timeout=240) is None
    [model] = (await client.get(AI, headers=admin.headers)).json()["models"]
    if not model["active"]:  # measured worse than the shipped model: choose it anyway
        await client.put(f"{AI}/model", json={"version": model["version"]}, headers=admin.headers)
    async with runtime.sessionmaker() as session, session.begin():
        row = (await session.execute(select(ClassifierModel))).scalar_one()
        retrained = loads(classifiers.sealer(runtime, row.id).open(row.artifact), row.sha256)
        await session.execute(update(ClassifierModel).values(sha256="0" * 64))
    # The document the two models tell apart best (by their confidence).
    shipped = get_classifier()
    by_shipped = shipped.predict_many(heldout.texts)
    by_retrained = Classifier(shipped.embedder, retrained, shipped.zero_shot).predict_many(
        heldout.texts
    )
    gaps = [abs(a.confidence - b.confidence) for a, b in zip(by_shipped, by_retrained, strict=True)]
    best = gaps.index(max(gaps))
    assert gaps[best] > 0.01

    document = await uploaded(client, admin.headers, heldout.texts[best].encode(), title="After")
    await work_off(runtime)
    found = (await client.get(f"{DOCS}/{document['id']}", headers=admin.headers)).json()
    assert found["suggested_category"] == by_shipped[best].category
    assert found["category_confidence"] == pytest.approx(by_shipped[best].confidence, abs=1e-3)
