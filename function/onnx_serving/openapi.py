"""The HTTP contract as an OpenAPI 3.1 description, generated from the model card.

Everything a client needs to know is in the card and the limits: the feature names and their
order, the class names, how many rows a batch may hold. So the description is built from them
(never written by hand, never out of date), the function serves it at ``GET /openapi.json`` and
``make build`` writes it to ``build/openapi.json``. The handler imports this module on the first
``GET /openapi.json``, never at init. Schemas are JSON Schema 2020-12, as OpenAPI 3.1 has them:
exact where the handler is exact (row length, named features, float32 range, classes as an
enum), so that a client generated from it sends only what the handler accepts and reads
everything it answers. Each column has its own schema: a number (within float32 when the model
is fed float32), one of the categories of an encoder that refuses others, or a string of at
most ``MAX_STRING_CHARS``; nullable only where the model takes a missing value. A regressor
answers ``{"value"}`` per row instead of a label and probabilities. ``out_of_range`` is
optional: a card without training ranges answers without it. A request's ``layout`` chooses
between the two answer schemas: ``Predictions`` (one object per row, the default) and
``PredictionColumns`` (one list per field).
"""

from __future__ import annotations

from typing import Any

from .answers import ALLOWED_METHODS, HEADERS
from .card import (
    FLOAT32_MAX,
    MAX_STRING_CHARS,
    MISSING_STRING,
    NUMBER,
    UNKNOWN_ERROR,
    Column,
    ModelCard,
    reference,
)
from .rows import COLUMNS_LAYOUT, LAYOUT_FIELD, LAYOUTS, ROWS_LAYOUT

OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/"
# Every error the function answers, by status: the one error shape, with these types.
ERROR_TYPES = {
    400: (
        "InvalidEvent",
        "InvalidBody",
        "InvalidJSON",
        "InvalidRequest",
        "InvalidFeatures",
        "InvalidHeaders",
    ),
    405: ("MethodNotAllowed",),
    413: ("PayloadTooLarge",),
    415: ("UnsupportedMediaType",),
    500: ("InternalError",),
}
ERROR_RESPONSES = {
    400: "BadRequest",
    405: "MethodNotAllowed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    500: "InternalError",
}
ERROR_MEANINGS = {
    400: "The event or the request is malformed; the message says what to fix.",
    405: "A method other than GET and POST (reaches the function through Function URLs and ALB).",
    413: "More rows than the function takes, or a body with more values than they can hold.",
    415: "A Content-Type that is not JSON (none at all is accepted).",
    500: "The model could not answer; the log line with the same request_id has the traceback.",
}


def openapi_document(card: ModelCard, max_rows: int) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the function serving ``card``, batches of ``max_rows``."""
    errors = {ERROR_RESPONSES[s]: _error_response(s) for s in ERROR_RESPONSES}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{card.name} (onnx-lambda)",
            "version": card.version,
            "description": _description(card, max_rows),
        },
        "paths": {
            "/predict": {"post": _predict_operation()},
            "/model": {"get": _get_operation("describeModel", "The model card.", "ModelCard")},
            "/openapi.json": {
                "get": _get_operation("openapi", "This description.", "OpenApiDocument")
            },
        },
        "components": {
            "schemas": _schemas(card, max_rows),
            "responses": errors,
            "headers": {
                name: {"required": True, "schema": {"type": "string", "const": value}}
                for name, value in HEADERS.items()
                if name != "Content-Type"
            },
        },
    }


def _description(card: ModelCard, max_rows: int) -> str:
    answers = (
        f"classes {', '.join(card.classes)}"
        if card.is_classifier
        else "one number per row (a regressor)"
    )
    values = "numbers" if card.all_numbers else "values (numbers, strings, null where allowed)"
    return (
        f"Predictions from the ONNX model {card.name!r} version {card.version} "
        f"(sha256 {card.sha256}): {card.n_features} features "
        f"({', '.join(card.feature_names)}), {answers}. POST one row "
        f'as {{"features": row}} or up to {max_rows} as {{"instances": [row, ...]}}; a row '
        f"is a list of {values} in feature order or an object keyed by feature name. Add "
        f'"{LAYOUT_FIELD}": "{COLUMNS_LAYOUT}" for one list per field instead of one object '
        "per row in the answer. GET on "
        "any path other than /openapi.json returns the model card. Every answer is JSON; errors "
        "have one shape, with the status repeated in the body."
    )


def _ref(name: str) -> dict[str, str]:
    return {"$ref": SCHEMAS + name}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _headers(*extra: str) -> dict[str, Any]:
    names = [name for name in HEADERS if name != "Content-Type"]
    found: dict[str, Any] = {name: {"$ref": f"#/components/headers/{name}"} for name in names}
    for name in extra:
        found[name] = {"required": True, "schema": {"type": "string", "const": ALLOWED_METHODS}}
    return found


def _success(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "headers": _headers(), "content": _json(_ref(schema))}


def _error_refs(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/{ERROR_RESPONSES[s]}"} for s in statuses}


def _predict_operation() -> dict[str, Any]:
    return {
        "operationId": "predict",
        "summary": "Predict for one row or a batch of rows.",
        "requestBody": {"required": True, "content": _json(_ref("PredictRequest"))},
        "responses": {
            "200": {
                "description": "One prediction per row, in order, in the layout asked for.",
                "headers": _headers(),
                "content": _json({"oneOf": [_ref("Predictions"), _ref("PredictionColumns")]}),
            },
            **_error_refs(400, 413, 415, 500),
        },
    }


def _get_operation(operation_id: str, description: str, schema: str) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": description,
        "responses": {"200": _success(description, schema), **_error_refs(500)},
    }


def _error_response(status: int) -> dict[str, Any]:
    types = ERROR_TYPES[status]
    schema = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "status": {"const": status},
                    "type": {"enum": list(types)} if len(types) > 1 else {"const": types[0]},
                    "message": {"type": "string"},
                },
                "required": ["status", "type", "message"],
                "additionalProperties": False,
            },
            "request_id": {"type": "string"},
        },
        "required": ["error", "request_id"],
        "additionalProperties": False,
    }
    headers = _headers("Allow") if status == 405 else _headers()
    return {"description": ERROR_MEANINGS[status], "headers": headers, "content": _json(schema)}


def _number_schema(card: ModelCard) -> dict[str, Any]:
    if card.number_type == "float32":
        return {
            "type": "number",
            "minimum": -FLOAT32_MAX,
            "maximum": FLOAT32_MAX,
            "description": "A finite JSON number within float32 (not a string or boolean).",
        }
    return {"type": "number", "description": "A finite JSON number (not a string or boolean)."}


def _column_schema(column: Column) -> dict[str, Any]:
    """What a row may send for ``column``: a number, a category of the card, or a string; null
    (and "" for a string) only where the model takes a missing value."""
    if column.type == NUMBER:
        number = _ref("FeatureValue")
        return {"anyOf": [number, {"type": "null"}]} if column.missing else number
    if column.categories is not None and column.unknown == UNKNOWN_ERROR:
        known = list(column.categories)
        return {
            "enum": [*known, None, MISSING_STRING] if column.missing else known,
            "description": f"One of the {len(known)} categories the model knows"
            + ("; null or an empty string when missing." if column.missing else "."),
        }
    return {
        "type": ["string", "null"] if column.missing else "string",
        "minLength": 0 if column.missing else 1,
        "maxLength": MAX_STRING_CHARS,
        "description": (
            "Any string; a category the model does not know is answered as the fitted "
            "encoder answers it (ignored)"
            if column.categories is not None
            else "Any string"
        )
        + ("; null or an empty string when missing." if column.missing else "."),
    }


def _schemas(card: ModelCard, max_rows: int) -> dict[str, Any]:
    names = list(card.feature_names)
    values = [_column_schema(column) for column in card.columns]
    return {
        "FeatureValue": _number_schema(card),
        "FeatureList": {
            "type": "array",
            "prefixItems": values,
            "items": False,
            "minItems": len(names),
            "maxItems": len(names),
            "description": f"The {len(names)} values in this order: {', '.join(names)}.",
        },
        "NamedFeatures": {
            "type": "object",
            "properties": dict(zip(names, values, strict=True)),
            "required": names,
            "additionalProperties": False,
            "description": "Every feature by its exact name (no case folding), nothing else.",
        },
        "Row": {"oneOf": [_ref("FeatureList"), _ref("NamedFeatures")]},
        "Layout": {
            "enum": list(LAYOUTS),
            "default": ROWS_LAYOUT,
            "description": f"{ROWS_LAYOUT!r}: one object per row (Predictions). "
            f"{COLUMNS_LAYOUT!r}: one list per field (PredictionColumns), cheaper to encode "
            "and smaller.",
        },
        "SingleRequest": {
            "type": "object",
            "properties": {"features": _ref("Row"), LAYOUT_FIELD: _ref("Layout")},
            "required": ["features"],
            "additionalProperties": False,
        },
        "BatchRequest": {
            "type": "object",
            "properties": {
                "instances": {
                    "type": "array",
                    "items": _ref("Row"),
                    "minItems": 1,
                    "maxItems": max_rows,
                },
                LAYOUT_FIELD: _ref("Layout"),
            },
            "required": ["instances"],
            "additionalProperties": False,
        },
        "PredictRequest": {"oneOf": [_ref("SingleRequest"), _ref("BatchRequest")]},
        "Prediction": _prediction_schema(card),
        "ModelReference": {
            "type": "object",
            "properties": _constants(reference(card)),
            "required": list(reference(card)),
            "additionalProperties": False,
        },
        "Predictions": {
            "type": "object",
            "properties": {
                "predictions": {
                    "type": "array",
                    "items": _ref("Prediction"),
                    "minItems": 1,
                    "maxItems": max_rows,
                },
                "model": _ref("ModelReference"),
            },
            "required": ["predictions", "model"],
            "additionalProperties": False,
        },
        "PredictionColumns": _columns_schema(card, max_rows),
        "ModelCard": _card_schema(card),
        "OpenApiDocument": {
            "type": "object",
            "properties": {"openapi": {"const": OPENAPI_VERSION}},
            "required": ["openapi", "info", "paths"],
        },
    }


def _prediction_schema(card: ModelCard) -> dict[str, Any]:
    out_of_range = {
        "type": "array",
        "items": {"enum": list(card.feature_names)},
        "uniqueItems": True,
        "description": "Features outside the training range: the answer there is "
        "extrapolation. Absent when the card has no training ranges.",
    }
    if not card.is_classifier:
        return {
            "type": "object",
            "properties": {
                "value": {
                    "type": "number",
                    "description": "The model's prediction, printed as the shortest decimal "
                    "that reads back as the value the model computed.",
                },
                "out_of_range": out_of_range,
            },
            "required": ["value"],
            "additionalProperties": False,
        }
    probability = {"type": "number", "minimum": 0, "maximum": 1}
    return {
        "type": "object",
        "properties": {
            "label": {"enum": list(card.classes)},
            "probabilities": {
                "type": "object",
                "properties": dict.fromkeys(card.classes, probability),
                "required": list(card.classes),
                "additionalProperties": False,
                "description": "One per class, rounded to 6 decimals.",
            },
            "out_of_range": out_of_range,
        },
        "required": ["label", "probabilities"],
        "additionalProperties": False,
    }


def _columns_schema(card: ModelCard, max_rows: int) -> dict[str, Any]:
    """The columns layout: per field one list with an item per row, in row order."""

    def per_row(items: dict[str, Any]) -> dict[str, Any]:
        return {"type": "array", "items": items, "minItems": 1, "maxItems": max_rows}

    fields = _prediction_schema(card)["properties"]
    if card.is_classifier:
        answered = {
            "labels": per_row(fields["label"]),
            "probabilities": {
                "type": "object",
                "properties": {
                    name: per_row(schema)
                    for name, schema in fields["probabilities"]["properties"].items()
                },
                "required": list(card.classes),
                "additionalProperties": False,
                "description": "Per class, its probability in each row, rounded to 6 decimals.",
            },
        }
    else:
        answered = {"values": per_row(fields["value"])}
    return {
        "type": "object",
        "properties": {
            **answered,
            "out_of_range": per_row(fields["out_of_range"]),
            "model": _ref("ModelReference"),
        },
        "required": [*answered, "model"],
        "additionalProperties": False,
    }


def _constants(values: dict[str, str]) -> dict[str, Any]:
    return {name: {"const": value} for name, value in values.items()}


def _card_schema(card: ModelCard) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "model": {
                "type": "object",
                "properties": {
                    **_constants(reference(card)),
                    "task": {"const": card.task},
                    "features": {"const": list(card.feature_names)},
                    "columns": {"const": card.public()["columns"]},
                    "classes": {"const": list(card.classes)},
                    "feature_ranges": {"type": ["object", "null"]},
                    "metrics": {"type": "object"},
                },
                "required": ["name", "version", "sha256", "task", "features", "columns", "classes"],
            }
        },
        "required": ["model"],
        "additionalProperties": False,
    }
