"""Typed GraphQL errors a client can act on, and the masking of everything unexpected."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from subgraphs.common.identifiers import InvalidIdentifier

log = logging.getLogger("satu_anak.errors")

BAD_USER_INPUT = "BAD_USER_INPUT"
INVALID_TRANSITION = "INVALID_TRANSITION"
CONFLICT = "CONFLICT"
NOT_FOUND = "NOT_FOUND"
FORBIDDEN = "FORBIDDEN"  # the request's grant does not allow this (a field, a list, a write)
UNAUTHENTICATED = "UNAUTHENTICATED"  # no valid gateway grant (answered 401 before any resolver)
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

# Codes we raise on purpose; everything else is masked before it leaves the service.
PUBLIC_CODES = frozenset({BAD_USER_INPUT, INVALID_TRANSITION, CONFLICT, NOT_FOUND, FORBIDDEN})


class SubgraphError(GraphQLError):
    code: str = INTERNAL_SERVER_ERROR

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        extensions: dict[str, Any] = {"code": self.code}
        if field is not None:
            extensions["field"] = field
        extensions.update(extra)
        super().__init__(message, extensions=extensions)


class BadUserInput(SubgraphError):
    code = BAD_USER_INPUT


class InvalidTransition(SubgraphError):
    code = INVALID_TRANSITION


class Conflict(SubgraphError):
    code = CONFLICT


class NotFound(SubgraphError):
    code = NOT_FOUND


class Forbidden(SubgraphError):
    code = FORBIDDEN


def bad_identifier(error: InvalidIdentifier) -> BadUserInput:
    return BadUserInput(str(error), field=error.field)


def _is_public(error: GraphQLError) -> bool:
    if error.path is None or error.original_error is None:
        # Parse, validation and argument-coercion errors: graphql-core's own, about the document
        # or variables the client sent; safe to return.
        return True
    code = (error.extensions or {}).get("code")
    return code in PUBLIC_CODES


class MaskUnexpectedErrors(SchemaExtension):
    """Replaces any error we did not raise on purpose: no stack trace or SQL reaches a client."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        masked: list[GraphQLError] = []
        for error in errors:
            if _is_public(error):
                masked.append(error)
                continue
            log.error(
                "unexpected error",
                exc_info=error.original_error or error,
                extra={"path": error.path},
            )
            masked.append(
                GraphQLError(
                    "Internal error.",
                    nodes=error.nodes,
                    path=error.path,
                    extensions={"code": INTERNAL_SERVER_ERROR},
                )
            )
        result.errors = masked  # type: ignore[union-attr]
