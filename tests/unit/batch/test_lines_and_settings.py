"""Bounded line and record reading from a byte stream, and BatchFunction's settings."""

from __future__ import annotations

import io
import re

import pytest

from onnx_serving.batch.failures import BadFile
from onnx_serving.batch.settings import DEFAULT_CHUNK_CHARS, BatchSettings
from onnx_serving.batch.text_lines import (
    MAX_LINE_CHARS,
    MAX_RECORD_CHARS,
    MAX_RECORD_LINES,
    READ_BYTES,
    TextLines,
)


def one_record_a_line(data: bytes, read_bytes: int = READ_BYTES) -> list[str]:
    """Every line of ``data``, each its own record (as JSON Lines reads them)."""
    lines = TextLines(io.BytesIO(data), read_bytes)
    read = []
    for line in lines:
        lines.end_record()
        read.append(line)
    return read


def over_long(line: int) -> str:
    """The refusal of an over-long line, as a regular expression matching it whole."""
    message = f"line {line} is longer than {MAX_LINE_CHARS} characters (its line ending included)"
    return re.escape(message)


@pytest.mark.parametrize("read_bytes", [1, 2, 3, 7, 1024])
def test_lines_come_out_whole_whatever_the_chunk_boundaries(read_bytes):
    data = "\ufeffa,b\r\nçé,€\n\nlast".encode()
    assert one_record_a_line(data, read_bytes) == ["a,b\r\n", "çé,€\n", "\n", "last"]


@pytest.mark.parametrize("read_bytes", [64 * 1024, READ_BYTES, 4 * READ_BYTES])
def test_a_line_at_the_limit_passes_and_one_character_more_makes_the_file_bad(read_bytes):
    at_limit = "€" * (MAX_LINE_CHARS - 1) + "\n"
    lines = one_record_a_line(f"a\n{at_limit}b".encode(), read_bytes)
    assert [len(line) for line in lines] == [2, MAX_LINE_CHARS, 1]
    over = "x" * MAX_LINE_CHARS + "\n"
    with pytest.raises(BadFile, match=f"^{over_long(2)}$"):
        one_record_a_line(f"a\n{over}b\n".encode(), read_bytes)


def test_a_last_line_without_ending_may_use_the_whole_limit():
    data = b"a\n" + b"x" * MAX_LINE_CHARS
    assert [len(line) for line in one_record_a_line(data)] == [2, MAX_LINE_CHARS]
    with pytest.raises(BadFile, match=f"^{over_long(2)}$"):
        one_record_a_line(data + b"x")


def test_a_complete_line_read_whole_in_one_chunk_is_checked_too():
    # One read holds the whole over-long line and its ending: only its unfinished tail (none)
    # used to be measured, so it passed at up to twice the limit.
    data = b"x" * (MAX_LINE_CHARS + 10) + b"\nshort\n"
    with pytest.raises(BadFile, match=f"^{over_long(1)}$"):
        next(TextLines(io.BytesIO(data), 4 * READ_BYTES))


def test_a_line_growing_past_the_limit_is_refused_before_its_end_is_read():
    class Endless:
        reads = 0

        def read(self, amt: int) -> bytes:
            self.reads += 1
            return b"x" * amt

    body = Endless()
    with pytest.raises(BadFile, match=f"^{over_long(1)}$"):
        next(TextLines(body, READ_BYTES))
    # The read that takes the unfinished line past the limit is the last one.
    assert body.reads == MAX_LINE_CHARS // READ_BYTES + 1


def test_a_utf8_character_cut_at_the_end_of_the_file_is_not_text():
    with pytest.raises(BadFile, match=r"not UTF-8 text \(invalid byte at offset 4\)"):
        one_record_a_line(b"abc\n\xc3", 2)


def test_end_record_gives_the_characters_of_the_lines_since_the_last_call():
    lines = TextLines(io.BytesIO(b"ab\ncde\nf\n"))
    assert (next(lines), next(lines), lines.end_record()) == ("ab\n", "cde\n", 7)
    assert (next(lines), lines.end_record(), lines.end_record()) == ("f\n", 2, 0)
    assert lines.line_number == 3


def test_a_record_may_span_the_line_bound_and_not_one_line_more():
    lines = TextLines(io.BytesIO(b"h\n" + b"x\n" * (MAX_RECORD_LINES + 1)))
    next(lines)
    lines.end_record()
    for _ in range(MAX_RECORD_LINES):
        next(lines)
    assert lines.end_record() == 2 * MAX_RECORD_LINES
    next(lines)
    lines = TextLines(io.BytesIO(b"h\n" + b"x\n" * (MAX_RECORD_LINES + 1)))
    next(lines)
    lines.end_record()
    with pytest.raises(
        BadFile,
        match=(
            rf"^the record starting on line 2 spans more than {MAX_RECORD_LINES} lines "
            r"\(is a quote left open\?\)$"
        ),
    ):
        list(lines)


def test_a_record_may_hold_the_char_bound_and_not_one_character_more():
    half = "x" * (MAX_RECORD_CHARS // 2 - 1) + "\n"
    lines = TextLines(io.BytesIO(f"{half}{half}y".encode()))
    assert (next(lines), next(lines)) == (half, half)
    with pytest.raises(
        BadFile,
        match=f"^the record starting on line 1 is longer than {MAX_RECORD_CHARS} characters$",
    ):
        next(lines)


def test_settings_come_from_the_environment():
    settings = BatchSettings.from_env(
        {
            "BATCH_OUTPUT_PREFIX": "out/",
            "BATCH_MAX_INPUT_BYTES": "1000",
            "BATCH_BYTES_PER_SECOND": "10",
            "BATCH_CHUNK_ROWS": "5",
            "BATCH_CHUNK_CHARS": "70",
            "BATCH_STATE_MACHINE_ARN": "arn:sm",
            "BATCH_CSV_FORMULAS": "keep",
            "LOG_LEVEL": "warning",
        }
    )
    assert settings == BatchSettings(
        "out/", 1000, 10, 5, 70, "arn:sm", keep_csv_formulas=True, log_files=False
    )
    assert BatchSettings.from_env({}) == BatchSettings()
    assert (BatchSettings().chunk_chars, BatchSettings().keep_csv_formulas) == (1024**2, False)
    assert DEFAULT_CHUNK_CHARS == MAX_LINE_CHARS


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BATCH_OUTPUT_PREFIX": "out"}, "BATCH_OUTPUT_PREFIX must end with '/', got 'out'"),
        ({"BATCH_CHUNK_ROWS": "0"}, "BATCH_CHUNK_ROWS must be a positive integer, got '0'"),
        ({"BATCH_CHUNK_CHARS": "4Mi"}, "BATCH_CHUNK_CHARS must be a positive integer, got '4Mi'"),
        ({"BATCH_BYTES_PER_SECOND": "1e6"}, "BATCH_BYTES_PER_SECOND must be a positive integer"),
        (
            {"BATCH_CSV_FORMULAS": "escape"},
            r"BATCH_CSV_FORMULAS must be one of \('neutralise', 'keep'\), got 'escape'",
        ),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
    ],
)
def test_a_bad_setting_fails_init_with_its_name(env, message):
    with pytest.raises(ValueError, match=message):
        BatchSettings.from_env(env)
