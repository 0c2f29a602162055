"""Invoke the handler in this process the way the runtime client does.

awslambdaric parses the invoke payload with its own JSON library (simplejson: duplicate keys keep
the last value, NaN and 5,000-digit integers are refused) and encodes the answer with
``ensure_ascii=False`` on python3.12+; a harness that used ``json`` instead would test another
function. So this one borrows the runtime client's marshaller and reproduces its error payload.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType, SimpleNamespace
from typing import Any
from unittest import mock

from awslambdaric.lambda_runtime_exception import FaultException
from awslambdaric.lambda_runtime_marshaller import LambdaMarshaller

from convert import FUNCTION_DIR
from layer.runtimes import DEFAULT_RUNTIME

# What Lambda's X-Amz-Function-Error says when the runtime reported the failure.
UNHANDLED = "Unhandled"


@dataclass(frozen=True)
class Answer:
    """What an invoke returns: the payload bytes and, for a function error, its flag."""

    request_id: str
    payload: bytes
    function_error: str | None


def import_app() -> ModuleType:
    """``function/app.py`` imported once as the module ``app``, as Lambda imports it.

    It is loaded from its file rather than found on ``sys.path``: the serving code it imports is
    the installed ``onnx_serving`` package, and nothing else in function/ becomes importable.
    """
    if "app" in sys.modules:
        return sys.modules["app"]
    spec = importlib.util.spec_from_file_location("app", FUNCTION_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["app"]
        raise
    return module


def import_handler() -> Callable[[Any, Any], Any]:
    """``app.handler``, with the model loaded once (init runs once per process)."""
    return import_app().handler


class InProcessFunction:
    """The handler behind the runtime client's own unmarshal and marshal steps."""

    def __init__(self, runtime: str = DEFAULT_RUNTIME) -> None:
        self._handler = import_handler()
        with mock.patch.dict(os.environ, {"AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}"}):
            self._marshaller = LambdaMarshaller()

    def invoke(self, raw: bytes, request_id: str) -> Answer:
        """Answer ``raw``; exceptions from the handler or the encoder propagate, as bugs."""
        try:
            event = self._marshaller.unmarshal_request(raw)
        except FaultException as fault:
            error = {
                "errorMessage": fault.msg,
                "errorType": fault.exception_type,
                "requestId": request_id,
                "stackTrace": [],
            }
            return Answer(request_id, json.dumps(error).encode(), UNHANDLED)
        response = self._handler(event, SimpleNamespace(aws_request_id=request_id))
        text, _ = self._marshaller.marshal_response(response)
        return Answer(request_id, text.encode("utf-8"), None)
