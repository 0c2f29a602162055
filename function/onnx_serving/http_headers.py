"""The one request header the function reads, Content-Type, read the same strict way everywhere.

Entry points hand headers over differently: REST APIs keep the caller's case of names, HTTP APIs,
Function URLs and ALB lower-case them; REST APIs put every value of a repeated header in
``multiValueHeaders`` (and the last one in ``headers``), ALB in multi-value mode only in
``multiValueHeaders``, and HTTP APIs join repeated values with commas. One rule covers them all:
names are compared case-folded, both maps are read, and Content-Type may be sent once (the two
maps of a REST event carry the same one). Sent twice, under any spelling, or differently in the
two maps, it is refused: which copy a proxy would have used is a guess, and a guess about the
media type is how a body gets read as something it is not.
"""

from __future__ import annotations

from typing import Any

from .errors import RequestError, bad_request

CONTENT_TYPE = "content-type"


def content_type(event: dict[str, Any]) -> str | None:
    """The request's Content-Type, None if it sent none; a 400 if it is malformed or repeated."""
    single = _header_map(event, "headers", str)
    multi = _header_map(event, "multiValueHeaders", list)
    single_values = [value for name, value in single.items() if name.lower() == CONTENT_TYPE]
    multi_values = [
        v for name, values in multi.items() if name.lower() == CONTENT_TYPE for v in values
    ]
    if len(single_values) > 1:
        raise _repeated(len(single_values))
    if len(multi_values) > 1:
        raise _repeated(len(multi_values))
    if single_values and multi_values and single_values != multi_values:
        raise bad_request(
            "InvalidHeaders", "Content-Type differs between headers and multiValueHeaders"
        )
    values = multi_values or single_values
    if not values:
        return None
    media_type = values[0].split(";", 1)[0]
    if "," in media_type:
        raise _repeated(media_type.count(",") + 1)
    return values[0]


def is_multi_value(event: dict[str, Any]) -> bool:
    """Whether the event came in multi-value mode: only ``multiValueHeaders``, no ``headers``.

    ALB sends one or the other, as its target group says, and wants the answer the same way.
    """
    return isinstance(event.get("multiValueHeaders"), dict) and event.get("headers") is None


def _header_map(event: dict[str, Any], field: str, kind: type) -> dict[str, Any]:
    """``event[field]``: absent or null is no headers; any other non-object is a bad event."""
    headers = event.get(field)
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise bad_request("InvalidEvent", f"the event's {field} must be an object")
    for values in headers.values():
        if not isinstance(values, kind) or (
            kind is list and not all(isinstance(v, str) for v in values)
        ):
            shape = "a string" if kind is str else "a list of strings"
            raise bad_request("InvalidEvent", f"every value of the event's {field} must be {shape}")
    return headers


def _repeated(count: int) -> RequestError:
    return bad_request("InvalidHeaders", f"Content-Type is sent {count} times; send it once")
