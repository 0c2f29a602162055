"""Turn any event Lambda can hand the function into one ``Request``, refusing what is ambiguous.

Five entry points reach the handler: a direct invoke (the event *is* the request), API Gateway
REST APIs (payload format 1.0), HTTP APIs and Function URLs (format 2.0), and Application Load
Balancers (format 1.0's fields, with ``requestContext.elb``). They differ in where the method,
path, headers and body live, whether the body is base64 and how header names are cased;
everything after this module sees only ``Request``. Where an event could be read two ways, it is
refused instead of guessed at: ``isBase64Encoded`` must be a boolean, headers must be strings,
and a body is bounded before it is parsed.

Content-Type, the one header the function reads, is read the same strict way for every entry
point. REST APIs keep the caller's case of names, HTTP APIs, Function URLs and ALB lower-case
them; REST APIs put every value of a repeated header in ``multiValueHeaders`` (and the last one
in ``headers``), ALB in multi-value mode only in ``multiValueHeaders``, and HTTP APIs join
repeated values with commas. One rule covers them all: names are compared case-folded, both maps
are read, and Content-Type may be sent once (the two maps of a REST event carry the same one).
Sent twice, under any spelling, or differently in the two maps, it is refused: which copy a proxy
would have used is a guess, and a guess about the media type is how a body gets read as
something it is not.

A body is parsed as strict JSON, and refused before the parse when it holds more structure than
any legal request. ``json.loads`` builds every object a body describes before anything can look
at it: a 6 MB body of ``[{}, {}, ...]`` is two million dictionaries, which CPython keeps the
memory of afterwards, all to answer 413. A legal request has few structural characters: one array
or object per row plus two, and one comma per value. Counting them is three passes of
``str.count`` (C speed, no allocation), and a body with more than the model's largest legal
request can hold is refused before it is parsed. Characters inside strings are counted too: in a
legal request the strings are the field and feature names, whose own brackets and commas are
allowed for, and the values of string columns, each allowed ``MAX_STRING_CHARS`` of them (the
most a legal one holds), so the bound never refuses a legal request. Fewer containers also bounds
the nesting depth. Kept to the standard library (``json``, ``str.count``), so that the function
needs nothing else.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from .card import FLOAT32_MAX, MAX_STRING_CHARS, STRING, ModelCard
from .errors import RequestError, bad_request, quoted

DIRECT = "direct"
REST_API = "rest-api"
HTTP_API = "http-api"
FUNCTION_URL = "function-url"
ALB = "alb"
KINDS = (DIRECT, REST_API, HTTP_API, FUNCTION_URL, ALB)


def event_kind(event: object) -> str:
    """Which entry point sent ``event``; never fails, so even errors are shaped for the caller."""
    if isinstance(event, dict):
        context = event.get("requestContext")
        if isinstance(context, dict):
            if isinstance(context.get("elb"), dict):
                return ALB
            if isinstance(context.get("http"), dict):
                domain = context.get("domainName")
                is_url = isinstance(domain, str) and ".lambda-url." in domain
                return FUNCTION_URL if is_url else HTTP_API
        if "httpMethod" in event:
            return REST_API
    return DIRECT


PREDICT_ACTION = "predict"
DESCRIBE_ACTION = "describe"
OPENAPI_ACTION = "openapi"
OPENAPI_PATH = "/openapi.json"
# The largest number of each number type has this many digits before the point: a longer
# integer can only be out of every feature's range, so it is refused before Python converts it.
INTEGER_DIGITS = {
    "float32": len(str(int(FLOAT32_MAX))),
    "float64": len(str(int(sys.float_info.max))),
}
MAX_INTEGER_DIGITS = INTEGER_DIGITS["float32"]


class Request(NamedTuple):
    """What the caller asked for: ``describe`` the model, its ``openapi`` description, or
    ``predict`` on ``payload``."""

    kind: str
    action: str
    payload: Any = None


def read_request(event: object, kind: str, bounds: BodyBounds) -> Request:
    """Extract the action and the parsed JSON payload, or raise the matching ``RequestError``."""
    if kind == DIRECT:
        return _direct_request(event)
    method = _method(event, kind)
    if method == "GET":
        action = OPENAPI_ACTION if _path(event, kind).endswith(OPENAPI_PATH) else DESCRIBE_ACTION
        return Request(kind, action)
    if method != "POST":
        raise RequestError(
            405,
            "MethodNotAllowed",
            f"{quoted(method)} is not allowed; use GET or POST (methods are case-sensitive)",
        )
    _check_content_type(event)
    return Request(kind, PREDICT_ACTION, parse_body(_body_text(event), bounds))


def _direct_request(event: object) -> Request:
    if not isinstance(event, dict):
        raise bad_request("InvalidEvent", "the event must be a JSON object")
    if event.get("action") == DESCRIBE_ACTION and len(event) == 1:
        return Request(DIRECT, DESCRIBE_ACTION)
    return Request(DIRECT, PREDICT_ACTION, event)


def _method(event: dict[str, Any], kind: str) -> str:
    if kind in (REST_API, ALB):
        method = event.get("httpMethod")
    else:
        method = event["requestContext"]["http"].get("method")
    if not isinstance(method, str) or not method:
        raise bad_request("InvalidEvent", "the event has no HTTP method")
    return method


def _path(event: dict[str, Any], kind: str) -> str:
    """The request path (a stage prefix included, so only its end is compared)."""
    path = event.get("path") if kind in (REST_API, ALB) else event.get("rawPath")
    return path if isinstance(path, str) else ""


def _check_content_type(event: dict[str, Any]) -> None:
    value = content_type(event)
    if value is None:
        return
    media_type = value.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise RequestError(
            415,
            "UnsupportedMediaType",
            f"Content-Type {quoted(media_type)} is not application/json",
        )


def _body_text(event: dict[str, Any]) -> str:
    encoded = event.get("isBase64Encoded", False)
    if type(encoded) is not bool:
        raise bad_request("InvalidEvent", "the event's isBase64Encoded must be true or false")
    body = event.get("body")
    if body is None or body == "":
        raise bad_request("InvalidRequest", "the request has no body; send a JSON object")
    if not isinstance(body, str):
        raise bad_request("InvalidEvent", "the event body must be a string")
    if not encoded:
        return body
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(
            "InvalidBody", "the body is marked base64 but is not valid base64"
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("InvalidBody", "the body is not UTF-8 text") from None


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


class BodyBounds(NamedTuple):
    """The most arrays/objects and commas a legal body of at most ``rows`` rows holds, and why
    ``rows`` is the limit when it is not MAX_BATCH_ROWS."""

    rows: int
    n_features: int
    containers: int
    commas: int
    reason: str = ""
    number_type: str = "float32"

    @classmethod
    def for_rows(cls, card: ModelCard, rows: int, reason: str = "") -> BodyBounds:
        """Bounds for ``rows`` rows of ``card``'s features, named rows included.

        Per row: one array or object, plus the brackets inside the feature names when the row
        names them; ``n`` commas at most (``n - 1`` inside, one after), plus the commas inside
        the names. A string value may hold up to ``MAX_STRING_CHARS`` brackets or commas, which
        the count cannot tell from structure: each string column allows that many of both. The
        request object and the ``instances`` array add two containers.
        """
        names = card.feature_names
        name_brackets = sum(name.count("[") + name.count("{") for name in names)
        name_commas = sum(name.count(",") for name in names)
        in_strings = MAX_STRING_CHARS * sum(1 for c in card.columns if c.type == STRING)
        return cls(
            rows=rows,
            n_features=len(names),
            containers=2 + rows * (1 + name_brackets + in_strings),
            commas=rows * (len(names) + name_commas + in_strings),
            reason=reason,
            number_type=card.number_type,
        )

    def check(self, text: str) -> None:
        """A 413 if ``text`` holds more structure than any legal body; nothing is allocated.

        A body of no more characters than a bound holds no more of them: most are never counted.
        """
        if len(text) <= min(self.containers, self.commas):
            return
        containers = text.count("[") + text.count("{")
        if containers > self.containers:
            raise self._too_much(containers, self.containers, "arrays and objects")
        commas = text.count(",")
        if commas > self.commas:
            raise self._too_much(commas, self.commas, "commas")

    def _too_much(self, found: int, limit: int, what: str) -> RequestError:
        return RequestError(
            413,
            "PayloadTooLarge",
            f"the body holds {found} {what}; a request of at most {self.rows} rows of "
            f"{self.n_features} features holds at most {limit}: send at most {self.rows} rows"
            + (f" ({self.reason})" if self.reason else ""),
        )


def parse_body(text: str, bounds: BodyBounds) -> Any:
    """The body's JSON value, once ``bounds`` says it can be a request at all.

    Integers are held to ``INTEGER_DIGITS`` of the number type before Python converts them
    (``MAX_INTEGER_DIGITS`` for float32): converting a digit
    string costs time quadratic in its length, so a body of integers of thousands of digits
    would cost more than the largest legal request before any check could refuse it. Only
    integer tokens reach the check; decimals keep the parser's own path.
    """
    bounds.check(text)
    return parse_json(text, partial(_bounded_integer, bounds.number_type))


def parse_json(text: str, parse_int: Callable[[str], Any] | None = None) -> Any:
    """Strict JSON: no NaN/Infinity literals, no duplicate keys, bounded nesting and digits."""
    decoder = _STRICT_DECODER if parse_int is None else _strict_decoder(parse_int)
    try:
        return decoder.decode(text)
    except RequestError:
        raise
    except RecursionError:
        raise bad_request("InvalidJSON", "the body is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise bad_request("InvalidJSON", f"the body is not valid JSON: {exc}") from None
    except ValueError:
        # The only other ValueError json.loads raises: an integer longer than Python converts.
        # Its own message tells the caller to call sys.set_int_max_str_digits(), which is
        # advice about the server's interpreter, not about their request.
        raise bad_request(
            "InvalidJSON",
            f"the body holds an integer of more than {sys.get_int_max_str_digits()} digits",
        ) from None


def _strict_decoder(parse_int: Callable[[str], Any] | None) -> json.JSONDecoder:
    return json.JSONDecoder(
        parse_constant=_reject_constant, object_pairs_hook=_unique_keys, parse_int=parse_int
    )


def _bounded_integer(number_type: str, token: str) -> int:
    digits = len(token) - (token[0] == "-")
    if digits > INTEGER_DIGITS[number_type]:
        raise bad_request(
            "InvalidJSON",
            f"the body holds an integer of {digits} digits; features are {number_type} numbers, "
            f"whose integers have at most {INTEGER_DIGITS[number_type]} digits",
        )
    return int(token)


def _reject_constant(name: str) -> None:
    raise bad_request("InvalidJSON", f"{name} is not valid JSON; send finite numbers")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise bad_request("InvalidJSON", f"the key {quoted(key)} appears more than once")
        result[key] = value
    return result


# Batch files parse a line at a time: one decoder for every line, not one built per call.
_STRICT_DECODER = _strict_decoder(None)
