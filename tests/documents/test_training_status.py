"""What the admin sees of the classifier's training and may ask of it, without a model
being trained (no embedding model loaded): the reviews counted, retraining refused with
the reason, choosing the shipped model."""

from __future__ import annotations

import httpx
import pytest

from shre.api.runtime import Runtime
from shre.documents import training
from shre.policy import Role
from tests.support.accounts import Account, Accounts
from tests.support.app import assert_problem
from tests.support.audit import events
from tests.support.documents import DOCS, uploaded

AI = "/api/v1/admin/ai"


async def _review(client: httpx.AsyncClient, admin: Account, hr: Account, n: int) -> None:
    for i in range(n):
        document = await uploaded(client, admin.headers, f"note {i}".encode(), title=f"N{i}")
        changed = await client.patch(
            f"{DOCS}/{document['id']}", json={"category": "policy"}, headers=hr.headers
        )
        assert changed.status_code == 200, changed.text


async def test_with_the_ai_off_reviews_are_counted_and_retraining_is_refused(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    await _review(client, admin, hr, 3)
    # An uploader's own category is no review.
    await uploaded(client, admin.headers, b"unreviewed", category="policy")
    status = await client.get(AI, headers=admin.headers)
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["enabled"] is False
    assert body["classifier"]["source"] == "shipped"
    assert body["models"] == []
    assert body["training"] == {"reviewed": 3, "min_labels": 20, "ready": False}
    assert_problem(await client.post(f"{AI}/retrain", headers=admin.headers), 422, "ai_off")
    # The job itself does nothing either (it runs daily whatever the settings).
    await training.retrain(runtime)
    assert (await client.get(AI, headers=admin.headers)).json()["models"] == []


@pytest.mark.parametrize("settings_overrides", [{"shre_ai": True, "ai_retrain_min_labels": 5}])
async def test_retraining_waits_for_enough_reviews(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    await _review(client, admin, hr, 4)
    problem = assert_problem(
        await client.post(f"{AI}/retrain", headers=admin.headers), 409, "retrain_not_ready"
    )
    assert "reviewed 4 " in problem["detail"]
    assert "5 are needed" in problem["detail"]
    await training.retrain(runtime)  # the daily run: nothing to learn from yet
    body = (await client.get(AI, headers=admin.headers)).json()
    assert body["models"] == []
    assert body["training"]["ready"] is False
    assert_problem(await client.post(f"{AI}/retrain", headers=hr.headers), 403)


async def test_choosing_a_model(
    client: httpx.AsyncClient, admin: Account, accounts: Accounts, runtime: Runtime
) -> None:
    hr = await accounts.signed_in(Role.HR, "hr@example.com")
    unknown = await client.put(f"{AI}/model", json={"version": "1.2"}, headers=admin.headers)
    assert_problem(unknown, 404, "model_not_found")
    for body in ({"version": "x" * 33}, {}, {"version": 3}):
        assert_problem(await client.put(f"{AI}/model", json=body, headers=admin.headers), 422)
    assert_problem(await client.put(f"{AI}/model", json={"version": None}, headers=hr.headers), 403)
    shipped = await client.put(f"{AI}/model", json={"version": None}, headers=admin.headers)
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["source"] == "shipped"
    assert [e.target_id for e in await events(runtime, "classifier.choose")] == ["shipped"]
