"""The web app's API client is typed from a snapshot of the API's OpenAPI document
(web/openapi.json → web/src/api/schema.d.ts, `make api-types`): a change of the API that
the snapshot does not have fails here, so the types cannot silently go stale. (`make test`
also checks that schema.d.ts is what the snapshot generates.)"""

from __future__ import annotations

import json
from pathlib import Path

from shre.cli.openapi import openapi

SNAPSHOT = Path(__file__).resolve().parents[2] / "web" / "openapi.json"


def test_the_web_apps_snapshot_of_the_api_is_current() -> None:
    current = json.loads(json.dumps(openapi(), sort_keys=True))
    stored = json.loads(SNAPSHOT.read_text())
    assert stored == current, (
        "web/openapi.json is stale: run `make api-types` and commit web/openapi.json and "
        "web/src/api/schema.d.ts"
    )
