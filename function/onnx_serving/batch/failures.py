"""A file that cannot be scored at all, as opposed to a row that is rejected."""


class BadFile(Exception):
    """No header, missing feature columns, not the declared format, too large, out of time.

    The message goes into the file's manifest, so it says what to fix; no output is left
    under the output prefix.
    """
