"""The "empty" contender: a handler that imports nothing and answers nothing.

Its cold start is the runtime's own (interpreter start, the runtime client, one invoke): the
least any Python function costs, and the yardstick the ONNX function's cold start is held to.
"""


def handler(event: object, context: object) -> dict:
    """Answer nothing: only the runtime is being measured."""
    return {}
