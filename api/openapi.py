"""The OpenAPI document says what the API answers: every error is problem JSON (`{title, detail}`,
validation errors with `errors`), with the statuses the API really uses, instead of FastAPI's `422`."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM = {
    "type": "object",
    "required": ["title", "detail"],
    "properties": {
        "title": {"type": "string", "example": "bad request"},
        "detail": {"type": "string", "example": "body[0].name: Field required"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
ERRORS = {
    "400": "invalid input: `detail` names the field",
    "401": "missing or unknown API key, token or session",
    "403": "the key may not do this, or the member's role is not enough (`detail` names the role needed)",
    "404": "not found",
    "409": "conflicts with existing data",
    "410": "a link that was used already or has expired",
    "413": "the request body is over its limit",
    "429": "rate limit exceeded, or too many failed logins (`Retry-After`)",
    "503": "a dependency is unavailable (`Retry-After`)",
}


def document_errors(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            components["Problem"] = PROBLEM
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.setdefault("responses", {})
                    responses.pop("422", None)
                    for status, description in ERRORS.items():
                        responses.setdefault(
                            status,
                            {
                                "description": description,
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                            },
                        )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
