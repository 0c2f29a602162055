"""The stack's HTTP API on 127.0.0.1, without Docker: ``python -m tools.local_lambda serve``.

Like ``sam local start-api``, it turns each real HTTP request into the event API Gateway's HTTP
API sends (payload format 2.0), runs it through the real runtime client on the ``sam build``
output (``LocalLambda``) and turns the function's answer back into HTTP, following HTTP API's
rules: only the routes the template declares reach the function (anything else is API Gateway's
``404 {"message":"Not Found"}``), a function error is a ``500 {"message":"Internal Server
Error"}``, an answer without ``statusCode`` is a 200 with that JSON as the body. One execution
environment answers one request at a time, as one Lambda instance does; if it dies (a timeout,
a crash) the next request gets a fresh one, with a cold start.

Rules of its own, where API Gateway's cannot be had locally: a request whose event would pass
Lambda's 6 MB invoke limit is a ``413 {"message":"Request Entity Too Large"}``; a body is sent
as text when it is UTF-8 and its Content-Type is text-like (JSON, XML, ``text/*``, forms) or
missing, and base64 otherwise; a chunked body (no Content-Length) is a ``411``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from samtranslator.yaml_helper import yaml_parse

from tools.local_lambda.runner import LocalLambda

ROUTE_TYPE = "AWS::ApiGatewayV2::Route"
# Lambda refuses a synchronous invoke whose payload is larger (its 6 MB request limit).
MAX_EVENT_BYTES = 6 * 1024 * 1024
TEXT_MEDIA = ("text/", "application/json", "application/xml", "application/javascript")
TEXT_SUFFIXES = ("+json", "+xml")
NOT_FOUND = (404, {"message": "Not Found"})
INTERNAL_ERROR = (500, {"message": "Internal Server Error"})
TOO_LARGE = (413, {"message": "Request Entity Too Large"})


@dataclass(frozen=True)
class Route:
    """``METHOD /path`` of an HTTP API route; ``$default`` matches every request."""

    key: str

    def matches(self, method: str, path: str) -> bool:
        """Whether a request for ``method`` and ``path`` takes this route."""
        if self.key == "$default":
            return True
        route_method, _, route_path = self.key.partition(" ")
        return route_method in ("ANY", method) and route_path == path


def http_api_routes(template: Path) -> list[Route]:
    """The route keys of every HTTP API route in a (built) SAM template, as declared."""
    resources = yaml_parse(template.read_text())["Resources"]
    keys = [r["Properties"]["RouteKey"] for r in resources.values() if r["Type"] == ROUTE_TYPE]
    return [Route(key) for key in keys]


@dataclass(frozen=True)
class HttpRequest:
    """What arrived over HTTP, before it becomes an event."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str


def api_event(request: HttpRequest, route: Route, host: str) -> dict[str, Any]:
    """The HTTP API (payload format 2.0) event for ``request``, as API Gateway builds it.

    Header names are lower-cased and repeated headers joined with commas; cookies move to
    ``cookies``; repeated query parameters are joined with commas too.
    """
    url = urlsplit(request.target)
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lower = name.lower()
        if lower == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": request.method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route.key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if request.body:
        _attach_body(event, request.body, headers.get("content-type", ""))
    return event


def _attach_body(event: dict[str, Any], body: bytes, content_type: str) -> None:
    media_type = content_type.split(";", 1)[0].strip().lower()
    text_like = (
        not media_type
        or media_type.startswith(TEXT_MEDIA)
        or media_type.endswith(TEXT_SUFFIXES)
        or media_type == "application/x-www-form-urlencoded"
    )
    if text_like:
        try:
            event["body"] = body.decode("utf-8")
            return
        except UnicodeDecodeError:
            pass
    event["body"] = base64.b64encode(body).decode()
    event["isBase64Encoded"] = True


def http_response(
    payload: bytes, function_error: str | None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body for the client, from the function's answer (format 2.0 rules)."""
    if function_error is not None:
        return _gateway_error(*INTERNAL_ERROR)
    try:
        answer = json.loads(payload)
    except ValueError:
        return _gateway_error(*INTERNAL_ERROR)
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return 200, [("Content-Type", "application/json")], payload
    status, headers, body = answer["statusCode"], answer.get("headers") or {}, answer.get("body")
    if not isinstance(status, int) or not isinstance(headers, dict):
        return _gateway_error(*INTERNAL_ERROR)
    text = body if isinstance(body, str) else "" if body is None else json.dumps(body)
    raw = base64.b64decode(text) if answer.get("isBase64Encoded") is True else text.encode()
    pairs = [(str(name), str(value)) for name, value in headers.items()]
    pairs += [("Set-Cookie", cookie) for cookie in answer.get("cookies") or []]
    return status, pairs, raw


def _gateway_error(
    status: int, document: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(document).encode()


class LocalGateway(ThreadingHTTPServer):
    """An HTTP server on ``host:port`` in front of one local execution environment."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], routes: list[Route], start: Callable[[], LocalLambda]
    ) -> None:
        self.routes = routes
        self._start = start
        self._lock = threading.Lock()
        super().__init__(address, GatewayHandler)
        self.function = self._cold_start()

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def invoke(self, event: dict[str, Any]) -> tuple[bytes, str | None]:
        """One invoke at a time; a fresh environment if the last one died."""
        with self._lock:
            if self.function.init_error is None and not self.function.running:
                self.function.stop()
                self.function = self._cold_start()
            result = self.function.invoke(event)
            return result.payload, result.function_error

    def _cold_start(self) -> LocalLambda:
        function = self._start()
        function.start()
        return function

    def stop(self) -> None:
        """Stop serving and end the execution environment."""
        self.server_close()
        self.function.stop()


class GatewayHandler(BaseHTTPRequestHandler):
    """Every method goes through one path: route, event, invoke, answer."""

    # Headers and body must leave in one segment: with Nagle's algorithm on, a small answer
    # waits for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: LocalGateway

    def __getattr__(self, name: str) -> Callable[[], None]:
        """``do_<METHOD>`` for every method, known or invented: one path for all, so a method
        no route declares gets API Gateway's 404, not http.server's 501."""
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        path = urlsplit(self.path).path
        route = next((r for r in self.server.routes if r.matches(self.command, path)), None)
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._reply(*_gateway_error(411, {"message": "Length Required"}))
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_EVENT_BYTES:
            self.close_connection = True
            self._reply(*_gateway_error(*TOO_LARGE))
            return
        body = self.rfile.read(length) if length else b""
        if route is None:
            self._reply(*_gateway_error(*NOT_FOUND))
            return
        request = HttpRequest(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        event = api_event(request, route, host)
        if len(json.dumps(event).encode()) > MAX_EVENT_BYTES:
            self._reply(*_gateway_error(*TOO_LARGE))
            return
        self._reply(*http_response(*self.server.invoke(event)))

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
