"""Batch scoring: whole files from S3 through the same model, card and row validation.

``function/batch_app.py`` is the entry point of ``BatchFunction``. The online handler never
imports this package, so boto3 (which the Lambda runtime provides, never the layer) costs the
online function nothing. Modules: ``events`` (the start shapes), ``text_lines`` (line reading
from a byte stream, lines and records bounded), ``csv_rows`` and ``json_lines`` (the two
formats), ``records`` (the chunks a format yields and how they are cut), ``typed_columns``
(a chunk's cells or values as typed columns, with per-row refusals), ``row_checks`` (the one
place the model is fed and its answers read), ``s3_io`` (streamed reads, multipart writes),
``manifest``, ``scoring`` (one file or one batch of rows) and ``handler``.
"""
