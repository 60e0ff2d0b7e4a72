"""The gateway's error codes (`extensions.code`) and the errors that carry them, in one place."""

from __future__ import annotations

from gateway.types import JsonObject

# The operation cannot be planned over this supergraph.
QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
# Something failed inside the gateway; details go to the log, never to the client.
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
# A subgraph answered with an error that carried no code of its own.
DOWNSTREAM_SERVICE_ERROR = "DOWNSTREAM_SERVICE_ERROR"
# A subgraph could not be reached, timed out, or answered with something that is not GraphQL.
SUBGRAPH_UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"
# A subgraph's answer was larger than its limit and was cut off while it streamed in.
SUBGRAPH_RESPONSE_TOO_LARGE = "SUBGRAPH_RESPONSE_TOO_LARGE"
# What the request names does not exist for the asker (a write naming a subject the asker may
# not see: out of jurisdiction answers exactly like unknown).
NOT_FOUND = "NOT_FOUND"
# The gateway signs subgraph grants and the request has no signed-in user to sign one for.
UNAUTHENTICATED = "UNAUTHENTICATED"


def error(message: str, code: str | None = None, **extensions: object) -> JsonObject:
    """One GraphQL error object, with `extensions.code` when a code is given."""
    result: JsonObject = {"message": message}
    if code is not None:
        result["extensions"] = {"code": code, **extensions}
    return result


class RequestError(Exception):
    """The request cannot be executed at all: answered with these errors and no data."""

    def __init__(self, errors: list[JsonObject], code: str = "BAD_REQUEST") -> None:
        super().__init__(errors[0]["message"] if errors else "bad request")
        self.errors = errors
        # What kind of refusal it is, for the audit record (the errors' own codes, if any, are
        # the client's; graphql-core's parse and validation errors carry none).
        self.code = code


class OperationError(ValueError):
    """The document names no usable operation (a client error, answered before planning)."""


class PlanningError(Exception):
    """No plan can satisfy the operation over this supergraph (a supergraph or planner limit)."""
