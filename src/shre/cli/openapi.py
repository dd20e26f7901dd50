"""`python -m shre.cli.openapi`: the API's OpenAPI document, as the web app's generated
client is made from it (`make api-types` writes it to web/openapi.json)."""

from __future__ import annotations

import json
import sys
from typing import Any

from shre.app import create_app
from shre.settings import Settings


def openapi() -> dict[str, Any]:
    # Development settings make their own throwaway keys; the document depends on none.
    return create_app(Settings(shre_env="development")).openapi()


def main() -> None:
    sys.stdout.write(json.dumps(openapi(), indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
