"""The one error shape every entry point answers with."""

from __future__ import annotations

from typing import Any


class RequestError(Exception):
    """A request the caller can fix: carries the HTTP status, a stable type and a message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self, request_id: str) -> dict[str, Any]:
        """The JSON body callers see, for direct invokes and HTTP alike."""
        return error_body(self.status, self.error_type, self.message, request_id)


def error_body(status: int, error_type: str, message: str, request_id: str) -> dict[str, Any]:
    """``{"error": {...}, "request_id": ...}``: the request id lets support find the log line."""
    return {
        "error": {"status": status, "type": error_type, "message": message},
        "request_id": request_id,
    }


def bad_request(error_type: str, message: str) -> RequestError:
    """A 400: the most common answer to a request the caller got wrong."""
    return RequestError(400, error_type, message)
