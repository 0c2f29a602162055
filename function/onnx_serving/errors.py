"""The one error shape every entry point answers with."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

# Caller text quoted back in a message is cut to this many characters, and lists of names to this
# many items: a message says what was wrong without echoing a 6 MB key into a response that
# Lambda would then refuse as too large (its response limit is 6 MB as well).
ECHO_CHARS = 40
ECHO_ITEMS = 5


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


def quoted(text: str) -> str:
    """``repr`` of caller text (lone surrogates and controls escaped), cut to ``ECHO_CHARS``.

    The cut applies to the ``repr``, not the text: escapes make a character up to 10 long. Only
    the part that can be shown is ``repr``-ed: a 6 MB key costs no more to quote than a short one.
    """
    shown = repr(text[:ECHO_CHARS])
    if len(text) <= ECHO_CHARS and len(shown) <= ECHO_CHARS:
        return shown
    return f"{shown[:ECHO_CHARS]}... ({len(text)} characters)"


def quoted_list(names: Iterable[str], total: int | None = None) -> str:
    """``[...]`` of the first few caller-supplied names, each cut short, saying how many remain.

    Only the first ``ECHO_ITEMS`` names are taken from ``names``, which may be a generator over
    a huge request; ``total`` says how many there are in all (default: ``len(names)``).
    """
    first = list(itertools.islice(names, ECHO_ITEMS))
    rest = (len(names) if total is None else total) - len(first)
    shown = ", ".join(quoted(name) for name in first)
    return f"[{shown}]" + (f" and {rest} more" if rest > 0 else "")
