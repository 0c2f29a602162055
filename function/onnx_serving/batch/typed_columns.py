"""A chunk's feature values, column by column, turned into the typed columns ``graph_feed`` takes.

A number column becomes float64 with NaN where a value is missing; a string column an object
array of ``str`` with None where a value is missing. Every column is converted whole first, by
C-speed code (``map(float, cells)`` for CSV text, one numpy conversion for JSON numbers, one
set of the distinct strings); only a column whose bulk conversion fails is walked value by
value, to word the refusal of each bad row. So a well-formed chunk costs a few C loops per
column, and a bad cell costs its own column one Python pass.

The missing-value, string-length and unknown-category rules are ``Column.refusal``'s; number
parsing and finiteness are this module's, as the contract gives them to each parser. A row is
refused for its first bad column in card order; the reason names the column (``row.<name>``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..card import MISSING_STRING, NUMBER, Column, ModelCard
from ..errors import quoted
from ..rows import LARGEST, json_type, too_large
from .row_checks import ROW

# What a cell or value converts to: the typed value (None when missing), or a refusal phrase.
Converted = tuple[Any, str]


def text_columns(
    card: ModelCard, raw: Sequence[Sequence[str]]
) -> tuple[list[np.ndarray], dict[int, str]]:
    """CSV cells (text) per column, in card order: the typed columns and, by row position, why
    each refused row is refused."""
    return _columns(card, raw, _text_numbers, _text_strings)


def json_columns(
    card: ModelCard, raw: Sequence[Sequence[Any]]
) -> tuple[list[np.ndarray], dict[int, str]]:
    """JSON values per column, in card order: the typed columns and the refused rows' reasons."""
    return _columns(card, raw, _json_numbers, _json_strings)


def without_refused(
    columns: list[np.ndarray], kept: list[int], bad: dict[int, str], refused: dict[int, str]
) -> tuple[list[np.ndarray], list[int], dict[int, str]]:
    """The columns and positions of the ``kept`` rows less those ``bad`` refuses (positions
    among ``kept``), and every refusal so far by chunk position, in order."""
    if bad:
        refused.update((kept[p], reason) for p, reason in bad.items())
        good = np.ones(len(kept), dtype=bool)
        good[list(bad)] = False
        columns = [column[good] for column in columns]
        kept = [p for p, ok in zip(kept, good.tolist(), strict=True) if ok]
    return columns, kept, dict(sorted(refused.items()))


def _columns(
    card: ModelCard,
    raw: Sequence[Sequence[Any]],
    numbers: Callable[[Sequence[Any]], tuple[np.ndarray, dict[int, str]]],
    strings: Callable[[Sequence[Any]], tuple[np.ndarray, dict[int, str]]],
) -> tuple[list[np.ndarray], dict[int, str]]:
    columns: list[np.ndarray] = []
    refused: dict[int, str] = {}
    for column, values in zip(card.columns, raw, strict=True):
        if column.type == NUMBER:
            typed, problems = numbers(values)
            problems.update(_number_rules(column, typed, card.number_type, problems))
        else:
            typed, problems = strings(values)
            problems.update(_string_rules(column, typed, problems))
        columns.append(typed)
        for position, phrase in problems.items():
            refused.setdefault(position, f"{ROW}.{column.name} {phrase}")
    return columns, dict(sorted(refused.items()))


def _text_numbers(cells: Sequence[str]) -> tuple[np.ndarray, dict[int, str]]:
    """Cells read by ``float()``; a blank cell is missing (NaN); a cell ``float`` refuses, or
    reads as NaN (``nan`` is text ``float`` accepts), is refused."""
    problems: dict[int, str] = {}
    try:
        values = np.fromiter(map(float, cells), np.float64, len(cells))
    except ValueError:
        values = np.empty(len(cells), dtype=np.float64)
        for position, cell in enumerate(cells):
            try:
                values[position] = float(cell)
            except ValueError:
                values[position] = np.nan
                if cell.strip():
                    problems[position] = f"must be a number, got {quoted(cell)}"
    nan = np.isnan(values)
    if nan.any():
        for position in np.flatnonzero(nan).tolist():
            if cells[position].strip() and position not in problems:
                problems[position] = "must be a finite number, got nan"
    return values, problems


def _json_numbers(values: Sequence[Any]) -> tuple[np.ndarray, dict[int, str]]:
    """JSON numbers (``int`` or ``float``, never ``bool``); null is missing (NaN). The strict
    JSON parser refuses NaN literals, so every NaN here is a null."""
    if set(map(type, values)) <= _NUMBER_OR_NULL:
        try:
            return np.array(values, dtype=np.float64), {}
        except OverflowError:
            pass
    typed = np.empty(len(values), dtype=np.float64)
    problems: dict[int, str] = {}
    for position, value in enumerate(values):
        if value is None:
            typed[position] = np.nan
        elif type(value) in _NUMBER_TYPES:
            try:
                typed[position] = float(value)
            except OverflowError:
                typed[position] = np.inf
        else:
            typed[position] = 0.0
            problems[position] = f"must be a number, got {json_type(value)}"
    return typed, problems


def _number_rules(
    column: Column, values: np.ndarray, number_type: str, known: dict[int, str]
) -> dict[int, str]:
    """Missing values where the column allows none, values that are not finite, and (for a
    float32 graph) values beyond float32, for rows not refused already."""
    limit = LARGEST[number_type][0]
    with np.errstate(invalid="ignore"):
        good = np.abs(values) <= limit
    if good.all():
        return {}
    problems: dict[int, str] = {}
    missing_phrase = column.refusal(None)
    for position in np.flatnonzero(~good).tolist():
        if position in known:
            continue
        value = float(values[position])
        if value != value:
            # Each converter has refused a NaN that was not a missing value.
            problems[position] = missing_phrase
        elif value in (np.inf, -np.inf):
            problems[position] = f"must be a finite number, got {value}"
        else:
            problems[position] = too_large(number_type)
    return {position: phrase for position, phrase in problems.items() if phrase}


def _text_strings(cells: Sequence[str]) -> tuple[np.ndarray, dict[int, str]]:
    """CSV text as is; an empty cell is missing."""
    typed = np.array(cells, dtype=object)
    if MISSING_STRING in cells:
        typed[typed == MISSING_STRING] = None
    return typed, {}


def _json_strings(values: Sequence[Any]) -> tuple[np.ndarray, dict[int, str]]:
    """JSON strings; null (and "") is missing; anything else is refused."""
    typed = np.array(values, dtype=object)
    problems: dict[int, str] = {}
    if not set(map(type, values)) <= _STRING_TYPES:
        for position, value in enumerate(values):
            if value is not None and type(value) is not str:
                problems[position] = f"must be a string, got {json_type(value)}"
                typed[position] = None
    if MISSING_STRING in values:
        typed[typed == MISSING_STRING] = None
    return typed, problems


def _string_rules(column: Column, values: np.ndarray, known: dict[int, str]) -> dict[int, str]:
    """``Column.refusal`` once per distinct value; then the rows holding a refused one."""
    distinct = set(values.tolist())
    bad = {value: column.refusal(value) for value in distinct}
    bad = {value: phrase for value, phrase in bad.items() if phrase}
    if not bad:
        return {}
    return {
        position: bad[value]
        for position, value in enumerate(values.tolist())
        if value in bad and position not in known
    }


_NUMBER_TYPES = frozenset({int, float})
_NUMBER_OR_NULL = frozenset({int, float, type(None)})
_STRING_TYPES = frozenset({str, type(None)})
