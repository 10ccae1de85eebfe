"""The small machinery under every API endpoint: the route table's entry (``Endpoint``), and
the one wrapper that authenticates, counts the request against the token's rate limit,
checks the token's scope, reads and validates the body and query, replays Idempotency-Keys,
and turns core's errors into the one error shape ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core import api_tokens
from core.api_tokens import Principal
from core.errors import Forbidden, InvalidCriteria, MonitorError, NotFound, TierLimitExceeded
from core.searches import SearchService
from web.keys import CLOCK

logger = logging.getLogger(__name__)

MAX_ID = 2**31 - 1  # ids are 32-bit in the database: a larger one cannot exist
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 128
_NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True, slots=True)
class ApiOptions:
    rate_limit_per_minute: int = 60
    max_body_bytes: int = 64 * 1024


@dataclass(frozen=True, slots=True)
class ApiContext:
    searches: SearchService
    options: ApiOptions


API_CONTEXT = web.AppKey("api_context", ApiContext)


class ApiError(Exception):
    """An answer other than success, in the API's error shape."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(error: ApiError) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message}}
    return web.json_response(body, status=error.status, headers={**_NO_STORE, **error.headers})


@dataclass(frozen=True, slots=True)
class Call:
    """One request, authenticated and validated, as a handler sees it."""

    request: web.Request
    principal: Principal
    context: ApiContext
    body: Any = None  # the endpoint's body model
    query: Any = None  # the endpoint's query model

    def path_id(self, name: str) -> int:
        value = int(self.request.match_info[name])  # the route allows digits only
        if not 1 <= value <= MAX_ID:
            raise ApiError(404, "not_found", f"There is no {name.removesuffix('_id')} #{value}.")
        return value

    def now(self) -> Any:
        return self.request.app[CLOCK]()


Handler = Callable[[Call], Awaitable[BaseModel | None]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One route of the API: the route table, the docs page and OpenAPI all read these."""

    method: str
    path: str  # under /api/v1, with {name} parameters (``*_id`` ones are digits)
    handler: Handler
    summary: str
    tag: str
    response: type[BaseModel] | None  # None only with status 204
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    write: bool = False  # needs a read-write token

    @property
    def operation_id(self) -> str:
        return self.handler.__name__.strip("_")


def _bearer(request: web.Request) -> str:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""


async def _authenticate(request: web.Request) -> Principal:
    principal = await api_tokens.authenticate(_bearer(request), request.app[CLOCK]())
    if principal is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send a valid API token as Authorization: Bearer <token> (/token in a private chat "
            "makes one). Revoked and expired tokens are refused.",
            {"WWW-Authenticate": 'Bearer realm="api"'},
        )
    return principal


async def _count(request: web.Request, principal: Principal, limit: int) -> None:
    verdict = await api_tokens.count_request(principal.token_id, limit, request.app[CLOCK]())
    if not verdict.allowed:
        raise ApiError(
            429,
            "rate_limited",
            f"This token may make {limit} requests a minute; "
            f"try again in {verdict.retry_after_seconds} s.",
            {"Retry-After": str(verdict.retry_after_seconds)},
        )


async def _read_body(request: web.Request, limit: int) -> bytes:
    too_large = ApiError(413, "body_too_large", f"A request body may be at most {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    return raw


def _first_problem(exc: ValidationError) -> str:
    problem = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])


def _parse_body(endpoint: Endpoint, raw: bytes) -> BaseModel | None:
    if endpoint.body is None:
        return None
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", "The request body is not JSON.") from exc
    if data is None:
        raise ApiError(422, "invalid_request", "A JSON object body is required.")
    try:
        return endpoint.body.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", _first_problem(exc)) from exc


def _parse_query(endpoint: Endpoint, request: web.Request) -> BaseModel | None:
    if endpoint.query is None:
        if request.query:
            raise ApiError(422, "invalid_request", "This endpoint takes no query parameters.")
        return None
    if len(request.query) != len(set(request.query.keys())):
        raise ApiError(422, "invalid_request", "A query parameter is repeated.")
    try:
        return endpoint.query.model_validate(dict(request.query))
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", _first_problem(exc)) from exc


def core_error(exc: MonitorError) -> ApiError:
    """Core's refusals in the API's shape, with core's own words."""
    if isinstance(exc, NotFound | Forbidden):
        # Another account's id reads exactly like one that does not exist.
        return ApiError(404, "not_found", str(exc))
    if isinstance(exc, TierLimitExceeded):
        return ApiError(403, "plan_limit", str(exc))
    if isinstance(exc, InvalidCriteria):
        return ApiError(422, "invalid", str(exc))
    return ApiError(422, "refused", str(exc))


def _json(model: BaseModel | None) -> str:
    return "" if model is None else model.model_dump_json()


def _respond(status: int, text: str, headers: dict[str, str] | None = None) -> web.Response:
    if not text:
        return web.Response(status=status, headers={**_NO_STORE, **(headers or {})})
    return web.Response(
        text=text,
        status=status,
        content_type="application/json",
        headers={**_NO_STORE, **(headers or {})},
    )


def wrap(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await _handle(endpoint, request)
        except Exception:
            logger.exception("api: %s %s failed", request.method, endpoint.path)
            return error_response(
                ApiError(500, "internal", "Something went wrong on our side; try again later.")
            )

    handle.__name__ = endpoint.operation_id
    return handle


async def _handle(endpoint: Endpoint, request: web.Request) -> web.StreamResponse:
    context = request.app[API_CONTEXT]
    try:
        principal = await _authenticate(request)
        await _count(request, principal, context.options.rate_limit_per_minute)
        if endpoint.write and not principal.can_write:
            raise ApiError(
                403,
                "read_only_token",
                "This token is read-only; make a read-write one with /token create NAME write.",
            )
        raw = await _read_body(request, context.options.max_body_bytes)
        query = _parse_query(endpoint, request)
        body = _parse_body(endpoint, raw)
    except ApiError as error:
        return error_response(error)
    call = Call(request, principal, context, body, query)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if request.method == "POST" and key is not None:
        return await _idempotent(endpoint, call, key, raw)
    status, text = await _run(endpoint, call)
    return _respond(status, text)


async def _run(endpoint: Endpoint, call: Call) -> tuple[int, str]:
    """The handler's answer as (status, JSON text); errors in the error shape."""
    try:
        result = await endpoint.handler(call)
    except ApiError as error:
        return error.status, _error_text(error)
    except MonitorError as exc:
        return _run_error(core_error(exc))
    return endpoint.status, _json(result)


def _run_error(error: ApiError) -> tuple[int, str]:
    return error.status, _error_text(error)


def _error_text(error: ApiError) -> str:
    return json.dumps({"error": {"code": error.code, "message": error.message}})


async def _idempotent(endpoint: Endpoint, call: Call, key: str, raw: bytes) -> web.Response:
    """A POST with an Idempotency-Key: the first request's answer, stored, is every retry's."""
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        return error_response(
            ApiError(
                400,
                "invalid_idempotency_key",
                f"An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters.",
            )
        )
    token_id = call.principal.token_id
    fingerprint = hashlib.sha256(
        b"\0".join([call.request.method.encode(), call.request.path_qs.encode(), raw])
    ).hexdigest()
    stored = await api_tokens.begin(token_id, key, fingerprint, call.now())
    if not stored.fresh:
        if not stored.same_request:
            return error_response(
                ApiError(
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with another request.",
                )
            )
        if stored.status is None:
            return error_response(
                ApiError(
                    409,
                    "idempotency_in_progress",
                    "A request with this Idempotency-Key is still being handled.",
                    {"Retry-After": "1"},
                )
            )
        return _respond(stored.status, stored.body, {"Idempotent-Replayed": "true"})
    try:
        status, text = await _run(endpoint, call)
    except BaseException:
        await api_tokens.abandon(token_id, key)
        raise
    await api_tokens.finish(token_id, key, status, text)
    return _respond(status, text)
