"""The release machinery, checked with the real tools, offline: every template through cfn-lint
(what `sam validate --lint` runs) and checkov, the workflows through GitHub's workflow schema and
zizmor, the layer stack through `sam build`, the hook's package on its own."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from fixture_models import staged_project
from hook_support import golden_card
from sam_support import ROOT, SAM, sam_env

from layer.interpreters import host_interpreter
from tools.deploy.security import scan
from tools.deploy.templates import LAYER_STACK, TEMPLATES
from tools.local_lambda.function import run_isolated

TOOLS = ROOT / ".venv-tools" / "bin"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))

pytestmark = pytest.mark.slow


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def test_every_template_passes_cfn_lint():
    """The linter `sam validate --lint` runs, over all templates in one process (the SAM CLI's
    own start-up costs ~10 s a template; tests/integration/test_sam_build.py runs it on
    template.yaml)."""
    cfn_lint = SAM.parent / "cfn-lint"
    done = run([str(cfn_lint), "--regions", "us-east-1", "--", *map(str, TEMPLATES)])
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_checkov_finds_nothing_but_the_skips_on_their_resources():
    result = scan()
    assert (result.failed, result.parsing_errors) == ([], [])
    assert result.resources >= 30 and result.passed >= 50


def test_workflows_match_githubs_workflow_schema():
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "release.yml"]
    done = run(
        [str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
        + [str(p) for p in WORKFLOWS]
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_in_the_workflows():
    done = run(
        [
            str(TOOLS / "zizmor"),
            "--offline",
            "--format",
            "json",
            str(ROOT / ".github" / "workflows"),
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []


def test_zizmor_would_catch_an_unpinned_action(tmp_path):
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    unpinned = workflow.replace(
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@v4"
    )
    assert unpinned != workflow
    (tmp_path / "ci.yml").write_text(unpinned)
    done = run([str(TOOLS / "zizmor"), "--offline", "--format", "json", str(tmp_path / "ci.yml")])
    assert {finding["ident"] for finding in json.loads(done.stdout)} == {"unpinned-uses"}


def test_the_layer_stack_builds_with_sam(tmp_path):
    build = tmp_path / "build"
    done = run(
        [str(SAM), "build", "--template", str(LAYER_STACK), "--build-dir", str(build)],
        cwd=ROOT,
        env={**sam_env(), "RUNTIME": "python3.13", "ARCH": "x86_64"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    layer = build / "OnnxRuntimeLayer" / "python"
    assert sorted(p.name for p in layer.iterdir() if not p.name.endswith(".dist-info")) == [
        "numpy",
        "numpy.libs",
        "onnxruntime",
    ]


def test_the_hook_package_holds_its_modules_the_card_and_the_events_and_runs_alone(tmp_path, app):
    project = staged_project()
    done = run(
        [
            "make",
            "-f",
            str(project / "pre_traffic" / "Makefile"),
            "build-PreTrafficHookFunction",
            f"ARTIFACTS_DIR={tmp_path}",
        ],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shipped = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    modules = {f"pre_traffic/{p.name}" for p in (ROOT / "pre_traffic").glob("*.py")}
    events = {f"pre_traffic/events/{p.name}" for p in (ROOT / "events").glob("*.json")}
    # The card module is the function's own, copied at build time: one reader, one comparison.
    assert shipped == modules | events | {"pre_traffic/model.json", "onnx_serving/card.py"}
    assert (tmp_path / "onnx_serving" / "card.py").read_bytes() == (
        project / "function" / "onnx_serving" / "card.py"
    ).read_bytes()
    assert (tmp_path / "pre_traffic" / "model.json").read_bytes() == (
        project / "function" / "model.json"
    ).read_bytes()
    # With a card that has golden rows, the package alone (stdlib only: boto3 is imported by
    # the handler, from the Lambda runtime) builds the probes the hook will send.
    (tmp_path / "pre_traffic" / "model.json").write_text(json.dumps(golden_card(app)))
    probe = (
        "import json; from pre_traffic.hook import PACKAGE, load_samples;"
        "from onnx_serving.card import ModelCard; from pre_traffic.probes import build_probes;"
        "card = ModelCard.load(PACKAGE / 'model.json');"
        "print(json.dumps([p.name for p in build_probes(card, load_samples(PACKAGE / 'events'))]))"
    )
    names = run_isolated(host_interpreter(), [tmp_path], probe, tmp_path)
    assert len(names) == 17 and names[0] == "direct batch"
    shutil.rmtree(tmp_path / "pre_traffic")
    shutil.rmtree(tmp_path / "onnx_serving")
