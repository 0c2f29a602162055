"""`python -m tools.local_lambda serve` (``make serve``) with clients nobody here wrote: curl, and
schemathesis generating requests from the function's own OpenAPI description.

The server runs as a user runs it, a subprocess on the ``sam build`` output, each request through
the real runtime client. schemathesis runs bounded (``schemathesis.toml``: a fixed seed, 40
examples per operation and phase) and must find nothing: no 5xx, every answer conforming to the
description in status, headers, media type and body, every request the description rules out
refused with 400/413/415, every request it allows answered 200.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import sam_support
from sam_support import ROOT

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).parent / "st"
BANNER_LINES = 5


@dataclass
class Served:
    """A running ``serve`` process, its URL and what it printed first."""

    process: subprocess.Popen[str]
    url: str
    banner: list[str]

    def runtime_pids(self) -> list[int]:
        """The server's child processes: the runtime client it drives."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        """Send ``signum``; the exit status and the rest of stdout."""
        self.process.send_signal(signum)
        rest, _ = self.process.communicate(timeout=30)
        return self.process.returncode, rest


def serve(log: Path) -> Served:
    """Start the server on a free port; return once it has printed its banner."""
    command = [sys.executable, "-m", "tools.local_lambda", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--build-dir", str(sam_support.sam_build_dir())],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    banner = [process.stdout.readline().rstrip("\n") for _ in range(BANNER_LINES)]
    found = re.fullmatch(r"Serving InferenceFunction at (http://127\.0\.0\.1:\d+)", banner[0])
    assert found, (banner, log.read_text())
    return Served(process, found.group(1), banner)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    served = serve(tmp_path_factory.mktemp("serve") / "serve.log")
    yield served
    if served.process.poll() is None:
        served.stop()


def test_it_prints_its_url_and_the_templates_routes(server):
    url = server.url
    assert server.banner == [
        f"Serving InferenceFunction at {url}",
        f"  POST  {url}/predict",
        f"  GET   {url}/model",
        f"  GET   {url}/openapi.json",
        "Ctrl-C to stop",
    ]


def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-cased) and body of one curl request."""
    done = subprocess.run(["curl", "-sS", "-i", *args], capture_output=True, check=True)
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.fixture(scope="module")
def curl_available():
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")


def test_curl_gets_predictions_the_card_and_the_description(server, curl_available):
    status, headers, body = curl(
        f"{server.url}/predict",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}',
    )
    assert status == 200
    assert (headers["content-type"], headers["x-content-type-options"]) == (
        "application/json",
        "nosniff",
    )
    assert headers["cache-control"] == "no-store"
    assert [p["label"] for p in json.loads(body)["predictions"]] == ["setosa", "virginica"]
    status, _, body = curl(f"{server.url}/model")
    assert (status, json.loads(body)["model"]["classes"]) == (
        200,
        ["setosa", "versicolor", "virginica"],
    )
    status, _, body = curl(f"{server.url}/openapi.json")
    assert (status, json.loads(body)["openapi"]) == (200, "3.1.0")


def test_curl_gets_the_functions_errors_and_api_gateways(server, curl_available):
    json_header = ["-H", "Content-Type: application/json"]
    status, _, body = curl(f"{server.url}/predict", *json_header, "-d", '{"features": [1, 2]}')
    assert (status, json.loads(body)["error"]["type"]) == (400, "InvalidFeatures")
    # curl -d alone says application/x-www-form-urlencoded: the function will not guess.
    status, _, body = curl(f"{server.url}/predict", "-d", '{"features": [5.1, 3.5, 1.4, 0.2]}')
    assert (status, json.loads(body)["error"]["type"]) == (415, "UnsupportedMediaType")
    for args in ([f"{server.url}/nowhere"], ["-X", "DELETE", f"{server.url}/predict"]):
        status, _, body = curl(*args)
        assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_schemathesis_finds_nothing(server, tmp_path):
    report = tmp_path / "junit.xml"
    command = [str(ST), "--config-file", str(CONFIG), "run", f"{server.url}/openapi.json"]
    done = subprocess.run(
        [*command, "--no-color", "--report", "junit", "--report-junit-path", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    suite = ET.parse(report).getroot().find("testsuite")
    assert {k: suite.get(k) for k in ("tests", "failures", "errors")} == {
        "tests": "2",
        "failures": "0",
        "errors": "0",
    }
    assert [case.get("name") for case in suite.iter("testcase")] == ["POST /predict", "GET /model"]
    counts = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert counts and counts.group(1) == counts.group(2), done.stdout[-3000:]
    assert int(counts.group(1)) >= 150


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_it_stops_cleanly(tmp_path, signum):
    served = serve(tmp_path / "serve.log")
    runtime = served.runtime_pids()
    assert len(runtime) == 1
    status, rest = served.stop(signum)
    assert (status, rest) == (0, "Stopped\n")
    assert not Path(f"/proc/{runtime[0]}").exists()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
