"""GET /api/openapi.yaml: the OpenAPI description of the web chat and Open311 JSON APIs (docs/openapi.yaml)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort

blueprint = Blueprint("api_docs", __name__)

SPEC_PATH = Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml"


@blueprint.get("/api/openapi.yaml")
def openapi_spec() -> Response:
    """The description as written: integrators and the API fuzz benchmark read the same file."""
    if not SPEC_PATH.is_file():  # installed without the docs folder (not an editable install)
        abort(404)
    return Response(SPEC_PATH.read_bytes(), content_type="application/yaml; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})
