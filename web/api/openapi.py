"""The OpenAPI 3.1 document, generated at run time from the route table and the pydantic
models (aiohttp has no generator; this is the small one the API needs).

OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what pydantic writes, so the models'
schemas go into ``components.schemas`` as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from web.api.framework import Endpoint
from web.api.schemas import Error

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"\{(\w+)\}")
# The errors any endpoint can answer, besides its own.
_COMMON_ERRORS = {
    "401": "Missing, unknown, revoked or expired token",
    "404": "No such thing among yours (another account's ids read the same)",
    "422": "The request or its values cannot be used",
    "429": "Too many requests for this token; see Retry-After",
    "500": "Something failed on the server",
}
_WRITE_ERRORS = {"403": "A read-only token, a plan limit, or a search managed in a group"}
_BODY_ERRORS = {"400": "The body is not JSON", "413": "The body is too large"}


class MissingSchema(Exception):
    """An endpoint without a response model (and not a 204): the document would lie."""


def _schemas(endpoints: Sequence[Endpoint]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Error, "serialization")]
    for endpoint in endpoints:
        if endpoint.response is None and endpoint.status != 204:
            raise MissingSchema(f"{endpoint.method} {endpoint.path} has no response schema")
        if endpoint.response is not None:
            wanted.append((endpoint.response, "serialization"))
        if endpoint.body is not None:
            wanted.append((endpoint.body, "validation"))
    refs, top = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    return refs, top.get("$defs", {})


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name in _PARAM.findall(endpoint.path):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1} if name.endswith("_id") else {"type": "string"}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if endpoint.query is not None:
        query_schema = endpoint.query.model_json_schema(ref_template=REF)
        required = set(query_schema.get("required", ()))
        for name, schema in query_schema.get("properties", {}).items():
            entry: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": {k: v for k, v in schema.items() if k != "description"},
            }
            if "description" in schema:
                entry["description"] = schema["description"]
            params.append(entry)
    return params


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }


def build_openapi(endpoints: Sequence[Endpoint], server_url: str = "") -> dict[str, Any]:
    refs, components = _schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        success: dict[str, Any] = {"description": endpoint.summary}
        if endpoint.response is not None:
            schema = refs[(endpoint.response, "serialization")]
            success["content"] = {"application/json": {"schema": schema}}
        responses: dict[str, Any] = {str(endpoint.status): success}
        errors = dict(_COMMON_ERRORS)
        if endpoint.write:
            errors |= _WRITE_ERRORS
        if endpoint.body is not None:
            errors |= _BODY_ERRORS
        if endpoint.method == "POST":
            errors["409"] = "A request with this Idempotency-Key is still being handled"
        for status, description in sorted(errors.items()):
            responses[status] = _error_response(description)
        operation: dict[str, Any] = {
            "operationId": endpoint.operation_id,
            "summary": endpoint.summary,
            "tags": [endpoint.tag],
            "parameters": _parameters(endpoint),
            "responses": responses,
            "x-scope": "write" if endpoint.write else "read",
        }
        if endpoint.method == "POST":
            operation["parameters"].append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "A retry with the same key returns the first answer.",
                    "schema": {"type": "string", "maxLength": 128},
                }
            )
        if endpoint.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(endpoint.body, "validation")]}},
            }
        paths.setdefault(PREFIX + endpoint.path, {})[endpoint.method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Marketplace Monitor API",
            "version": "1",
            "description": "Your searches and matches over HTTP. Make a token with /token "
            "in a private chat with the bot and send it as Authorization: Bearer <token>.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
