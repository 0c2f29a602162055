"""A local S3 API over HTTP (moto's standalone server) for the batch function, no AWS account.

The server runs as its own process on a free loopback port and is stopped when the ``with``
block ends. ``client_environment`` is what a process needs to reach it with boto3: the standard
``AWS_ENDPOINT_URL_S3`` plus dummy credentials and a region, the same variables a Lambda
function gets from its runtime (there, credentials come from the function's role).
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from layer.install import venv_script
from tools.local_lambda.function import REGION

START_TIMEOUT_S = 30.0
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local-secret"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _moto_server() -> str:
    """The ``moto_server`` script of this interpreter's environment."""
    found = venv_script("moto_server")
    if found is None:
        raise RuntimeError("moto_server is not installed (make venv installs moto[server])")
    return found


class LocalS3:
    """``moto_server`` on 127.0.0.1:<free port> for the life of a ``with`` block."""

    def __init__(self, logs: Path | None = None) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._logs = logs
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalS3:
        output = self._logs.open("ab") if self._logs else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [_moto_server(), "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End the server process (this one, by its handle) and wait for it."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def client_environment(self) -> dict[str, str]:
        """Variables that point boto3 (in any process) at this server."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **CREDENTIALS,
        }

    def client(self) -> Any:
        """A boto3 S3 client for this server, for the caller's own uploads and checks."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited with status {self._process.returncode}")
            try:
                with urllib.request.urlopen(self.endpoint, timeout=1):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on {self.endpoint} in {START_TIMEOUT_S} s")
