"""Bounded line reading from a byte stream, and BatchFunction's settings."""

from __future__ import annotations

import io

import pytest

from onnx_serving.batch.failures import BadFile
from onnx_serving.batch.settings import BatchSettings
from onnx_serving.batch.text_lines import MAX_LINE_CHARS, text_lines


@pytest.mark.parametrize("read_bytes", [1, 2, 3, 7, 1024])
def test_lines_come_out_whole_whatever_the_chunk_boundaries(read_bytes):
    data = "\ufeffa,b\r\nçé,€\n\nlast".encode()
    assert list(text_lines(io.BytesIO(data), read_bytes)) == ["a,b\r\n", "çé,€\n", "\n", "last"]


def test_a_line_longer_than_the_limit_makes_the_file_bad_before_memory_grows():
    data = b"x" * (MAX_LINE_CHARS + 2)
    with pytest.raises(BadFile, match=f"a line is longer than {MAX_LINE_CHARS} characters"):
        list(text_lines(io.BytesIO(data), 64 * 1024))


def test_a_utf8_character_cut_at_the_end_of_the_file_is_not_text():
    with pytest.raises(BadFile, match=r"not UTF-8 text \(invalid byte at offset 4\)"):
        list(text_lines(io.BytesIO(b"abc\n\xc3"), 2))


def test_settings_come_from_the_environment():
    settings = BatchSettings.from_env(
        {
            "BATCH_OUTPUT_PREFIX": "out/",
            "BATCH_MAX_INPUT_BYTES": "1000",
            "BATCH_BYTES_PER_SECOND": "10",
            "BATCH_CHUNK_ROWS": "5",
            "BATCH_STATE_MACHINE_ARN": "arn:sm",
            "LOG_LEVEL": "warning",
        }
    )
    assert settings == BatchSettings("out/", 1000, 10, 5, "arn:sm", log_files=False)
    assert BatchSettings.from_env({}) == BatchSettings()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BATCH_OUTPUT_PREFIX": "out"}, "BATCH_OUTPUT_PREFIX must end with '/', got 'out'"),
        ({"BATCH_CHUNK_ROWS": "0"}, "BATCH_CHUNK_ROWS must be a positive integer, got '0'"),
        ({"BATCH_BYTES_PER_SECOND": "1e6"}, "BATCH_BYTES_PER_SECOND must be a positive integer"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
    ],
)
def test_a_bad_setting_fails_init_with_its_name(env, message):
    with pytest.raises(ValueError, match=message):
        BatchSettings.from_env(env)
