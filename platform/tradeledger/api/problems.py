"""RFC 9457 problem+json for every error the API returns, with the stable `code` of TradeLedgerError."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradeledger.errors import TradeLedgerError

PROBLEM_MEDIA_TYPE = "application/problem+json"
# What the database driver raises while the server restarts or cannot be reached: a connection refused or cut
# (OperationalError), or one found closed when used (InterfaceError); and what the pool raises when every
# connection stayed busy for its whole timeout under load (PoolTimeoutError). A 503: the request may be retried.
DATABASE_GONE: tuple[type[SQLAlchemyError], ...] = (OperationalError, InterfaceError, PoolTimeoutError)


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field("about:blank", description="URI identifying the problem type")
    title: str = Field(description="short summary of the problem type")
    status: int = Field(description="HTTP status code")
    detail: str = Field(description="what went wrong in this occurrence")
    code: str = Field(description="stable machine-readable error code")
    errors: list[dict[str, Any]] | None = Field(
        None, description="per-field validation errors; for /v1/ready, each problem's name and reason"
    )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "malformed request (e.g. no Idempotency-Key on a write)"},
    401: {"model": Problem, "description": "no or unknown API key"},
    413: {"model": Problem, "description": "request body too large"},
    403: {"model": Problem, "description": "the caller's role may not do this"},
    409: {"model": Problem, "description": "conflicts with the object's state, or a duplicate in flight"},
    422: {"model": Problem, "description": "invalid field values; `errors` names each field"},
    503: {
        "model": Problem,
        "description": "temporarily unavailable, retry later; `code` says why: `chain_unavailable` (the node does not "
        "answer), `database_unavailable`, or `pending_on_chain` (the object is being sent again after the node lost "
        "its block)",
    },
}
ASYNC_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "accepted, not yet confirmed: asked for with `Prefer: respond-async`, or the block was not "
        "indexed within TRADELEDGER_WRITE_TIMEOUT_S; poll the operation URL in Location. A retry with the same "
        "Idempotency-Key answers the same until the final answer is recorded."
    }
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such object, or not one the caller may see"}
}


def problem_body(status: int, title: str, detail: str, code: str, errors: list[dict[str, Any]] | None = None) -> bytes:
    """The serialized problem document."""
    problem = Problem(type="about:blank", title=title, status=status, detail=detail, code=code, errors=errors)
    return problem.model_dump_json(exclude_none=True).encode()


def problem_response(
    status: int, title: str, detail: str, code: str, errors: list[dict[str, Any]] | None = None
) -> Response:
    return Response(
        problem_body(status, title, detail, code, errors), status_code=status, media_type=PROBLEM_MEDIA_TYPE
    )


def database_cause(error: BaseException) -> BaseException:
    """The driver's own error behind SQLAlchemy's wrapper; the error itself when the pool raised it."""
    return error.orig if isinstance(error, DBAPIError) and error.orig is not None else error


def database_unavailable(error: BaseException) -> bytes:
    """The 503 problem of a request the database failed (restarting, unreachable or out of connections): a retry
    with the same Idempotency-Key either finds the request done or runs it."""
    cause = database_cause(error)
    detail = f"the database did not answer ({type(cause).__name__}): retry with the same Idempotency-Key"
    return problem_body(503, "Database unavailable", detail, "database_unavailable")


# The objects the chain makes (their rows are projections of its events): while blocks the node lost are sent again,
# one of them missing from the read model may only be waiting for its block.
CHAIN_MADE_NOT_FOUND = frozenset({
    "account_not_found", "anchor_not_found", "document_not_found", "external_payment_not_found",
    "guarantee_not_found", "letter_of_credit_not_found", "member_not_found", "order_not_found",
    "proposal_not_found", "record_not_found",
})  # fmt: skip


def install_problem_handlers(app: FastAPI, resending: Callable[[], int] | None = None) -> None:
    """Route every error through problem+json: ours, validation errors, and Starlette's HTTP errors.

    `resending` counts the transactions sent again after the node lost their blocks and not back in the read model
    yet: while there are any,
    an object the chain makes that is not found answers 503 `pending_on_chain` instead of 404 (read-your-writes
    across a node restart: a client that was answered 2xx for it is told to retry, not that it does not exist).
    """

    @app.exception_handler(TradeLedgerError)
    async def _domain_error(_: Request, error: TradeLedgerError) -> Response:
        if error.code in CHAIN_MADE_NOT_FOUND and resending is not None:
            pending = await to_thread.run_sync(resending)
            if pending:
                detail = (f"{error.message}, for now: the chain node lost recent blocks and {pending} transactions "
                          "are being sent again; what they made is back once they are mined and indexed: "
                          "retry")  # fmt: skip
                return problem_response(503, "Pending on chain", detail, "pending_on_chain")
        errors = error.details.get("errors")
        field = error.details.get("field")  # a request field the service found wrong, named as validation does
        if errors is None and field is not None:
            errors = [{"field": f"body.{field}", "message": error.message}]
        return problem_response(error.http_status, error.title, error.message, error.code, errors)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, error: RequestValidationError) -> Response:
        fields = [
            {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]} for item in error.errors()
        ]
        detail = "; ".join(f"{field['field']}: {field['message']}" for field in fields)
        return problem_response(422, "Invalid request", detail, "validation_error", fields)

    async def _database_unavailable(_: Request, error: Exception) -> Response:
        body = database_unavailable(error)
        return Response(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE)

    for gone in DATABASE_GONE:
        app.add_exception_handler(gone, _database_unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> Response:
        return problem_response(error.status_code, str(error.detail), str(error.detail), f"http_{error.status_code}")


def problem_openapi(spec: dict[str, Any]) -> dict[str, Any]:
    """Document every error response as what it is: application/problem+json with the Problem schema.

    FastAPI documents `model=` responses as application/json, and 422 with its own validation schema; ours
    are all RFC 9457 problems.
    """
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = {PROBLEM_MEDIA_TYPE: problem}
    schemas = spec.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return spec


class BodyLimitMiddleware:
    """Refuse request bodies above `limit` bytes with 413 problem+json, before anything reads them whole.

    `larger` raises the limit for the few paths that take files (path → limit).
    """

    def __init__(self, app: ASGIApp, limit: int, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = problem_body(
            413, "Payload too large", f"request bodies are limited to {limit} bytes", "payload_too_large"
        )
        headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
