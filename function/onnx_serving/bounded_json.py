"""Parse an HTTP body as strict JSON, refusing before the parse any body that no request needs.

``json.loads`` builds every object a body describes before anything can look at it: 6 MB of
``[{}, {}, ...]`` is two million dictionaries, ~1 s and ~150 MB that CPython keeps afterwards,
all to answer 413. A legal request has few structural characters: one array or object per row
plus two, and one comma per value. Counting them is three passes of ``str.count`` (C speed, no
allocation), and a body with more than the model's largest legal request can hold is refused
before it is parsed. Characters inside strings are counted too: in a legal request the only
strings are the field and feature names, whose own brackets and commas are allowed for, so the
bound never refuses a legal request. Fewer containers also bounds the nesting depth.

Kept to the standard library (``json``, ``str.count``) so that the function needs nothing else.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NamedTuple

from .errors import RequestError, bad_request, quoted
from .model_card import ModelCard


class BodyBounds(NamedTuple):
    """The most arrays/objects and commas a legal body of at most ``rows`` rows holds, and why
    ``rows`` is the limit when it is not MAX_BATCH_ROWS."""

    rows: int
    n_features: int
    containers: int
    commas: int
    reason: str = ""

    @classmethod
    def for_rows(cls, card: ModelCard, rows: int, reason: str = "") -> BodyBounds:
        """Bounds for ``rows`` rows of ``card``'s features, named rows included.

        Per row: one array or object, plus the brackets inside the feature names when the row
        names them; ``n`` commas at most (``n - 1`` inside, one after), plus the commas inside
        the names. The request object and the ``instances`` array add two containers.
        """
        names = card.feature_names
        name_brackets = sum(name.count("[") + name.count("{") for name in names)
        name_commas = sum(name.count(",") for name in names)
        return cls(
            rows=rows,
            n_features=len(names),
            containers=2 + rows * (1 + name_brackets),
            commas=rows * (len(names) + name_commas),
            reason=reason,
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
    """The body's JSON value, once ``bounds`` says it can be a request at all."""
    bounds.check(text)
    return parse_json(text)


def parse_json(text: str) -> Any:
    """Strict JSON: no NaN/Infinity literals, no duplicate keys, bounded nesting and digits."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
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


def _reject_constant(name: str) -> None:
    raise bad_request("InvalidJSON", f"{name} is not valid JSON; send finite numbers")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise bad_request("InvalidJSON", f"the key {quoted(key)} appears more than once")
        result[key] = value
    return result
