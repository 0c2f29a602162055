"""Shape an answer body for the entry point that asked: as is, or as an HTTP response.

Direct invokes get the body itself. API Gateway, Function URLs and ALB get ``statusCode``,
headers and the body as a JSON string; ALB also gets a ``statusDescription``, and in
multi-value mode its headers as lists (``multiValueHeaders``), which is the only form it reads
then. Every HTTP answer says ``nosniff`` (a browser must not guess that the JSON is HTML) and
``no-store`` (a prediction for one caller is not a page for a shared cache to hand to another).
"""

from __future__ import annotations

import json
from typing import Any

from .event_kinds import ALB, DIRECT
from .prediction_answer import PredictionAnswer

HEADERS = {
    "Content-Type": "application/json",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
ALLOWED_METHODS = "GET, POST"
# Reason phrases of the statuses the function answers, for ALB's statusDescription (written out
# because http.HTTPStatus renamed some between Python versions).
REASONS = {
    200: "OK",
    400: "Bad Request",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


def render(
    kind: str, status: int, body: dict[str, Any] | PredictionAnswer, multi_value: bool = False
) -> dict[str, Any]:
    """The value the handler returns for ``body`` answered with ``status`` to ``kind``."""
    if kind == DIRECT:
        return body.as_dict() if isinstance(body, PredictionAnswer) else body
    headers = dict(HEADERS)
    if status == 405:
        headers["Allow"] = ALLOWED_METHODS
    response: dict[str, Any] = {"statusCode": status}
    if kind == ALB:
        response["statusDescription"] = f"{status} {REASONS[status]}"
    if multi_value:
        response["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        response["headers"] = headers
    response["body"] = (
        body.as_json()
        if isinstance(body, PredictionAnswer)
        else json.dumps(body, allow_nan=False, separators=(",", ":"))
    )
    response["isBase64Encoded"] = False
    return response
