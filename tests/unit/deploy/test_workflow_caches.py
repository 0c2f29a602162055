"""CI caches only what every run re-verifies, and the release restores nothing: the workflows'
cache steps and the release's AWS wiring, read from the YAML files themselves."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from sam_support import ROOT

from tools.deploy.templates import BOOTSTRAP_STACK, load_template

WORKFLOWS = ROOT / ".github" / "workflows"
CI = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
RELEASE = yaml.safe_load((WORKFLOWS / "release.yml").read_text())
CACHE_ACTION = "actions/cache@"


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def cache_steps(workflow: dict) -> list[dict]:
    return [s for s in steps(workflow) if s.get("uses", "").startswith(CACHE_ACTION)]


def hash_checked_locks() -> set[Path]:
    """Every tracked file the installs read with --require-hashes: the ones with sha256 pins."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.txt"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {Path(name) for name in tracked if "--hash=sha256:" in (ROOT / name).read_text()}


def test_ci_caches_only_uvs_download_cache_under_an_exact_key():
    [step] = cache_steps(CI)
    assert set(step["with"]) == {"path", "key"}
    assert step["with"]["path"] == "~/.cache/uv"
    assert step["if"] == "${{ !inputs.release }}"
    key = step["with"]["key"]
    assert key.startswith("uv-${{ runner.os }}-${{ hashFiles(")
    patterns = re.findall(r"'([^']+)'", key)
    covered = {p.relative_to(ROOT) for pattern in patterns for p in ROOT.glob(pattern)}
    assert covered == hash_checked_locks()


def test_no_workflow_caches_build_outputs_or_restores_by_prefix():
    found = [
        (path.name, step)
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for step in cache_steps(yaml.safe_load(path.read_text()))
    ]
    assert [name for name, _ in found] == ["ci.yml"]
    for _, step in found:
        assert "restore-keys" not in step["with"]
        assert "build/" not in step["with"]["path"]


def test_the_release_restores_no_cache():
    assert cache_steps(RELEASE) == []
    assert RELEASE["jobs"]["test"]["with"] == {"release": True}
    assert CI[True]["workflow_call"]["inputs"]["release"] == {
        "description": "Called by the release workflow, which restores no cache.",
        "type": "boolean",
        "default": False,
    }


def test_the_release_passes_the_bootstraps_boundary_to_the_function_stack():
    [deploy] = [
        s for s in RELEASE["jobs"]["deploy"]["steps"] if s.get("name", "").startswith("Deploy")
    ]
    assert 'PARAMETERS="PermissionsBoundaryArn=$PERMISSIONS_BOUNDARY"' in deploy["run"]
    assert deploy["run"].startswith(
        ': "${PERMISSIONS_BOUNDARY:?set the variable AWS_PERMISSIONS_BOUNDARY_ARN'
    )
    assert deploy["env"]["PERMISSIONS_BOUNDARY"] == "${{ vars.AWS_PERMISSIONS_BOUNDARY_ARN }}"
    output = load_template(BOOTSTRAP_STACK)["Outputs"]["PermissionsBoundaryArn"]
    assert "AWS_PERMISSIONS_BOUNDARY_ARN" in output["Description"]
    assert output["Value"] == {"Ref": "PermissionsBoundary"}


def test_the_release_workflow_is_the_one_the_deploy_role_trusts():
    parameters = load_template(BOOTSTRAP_STACK)["Parameters"]
    assert (WORKFLOWS / "release.yml").relative_to(ROOT).as_posix() == (
        parameters["ReleaseWorkflow"]["Default"]
    )
    assert RELEASE[True]["push"] == {
        "branches": [parameters["ReleaseBranch"]["Default"]],
        "tags": [parameters["ReleaseTagPattern"]["Default"]],
    }
    aws_jobs = [j for j in RELEASE["jobs"].values() if "id-token" in j.get("permissions", {})]
    assert len(aws_jobs) == 2
    assert {j["environment"] for j in aws_jobs} == {parameters["DeployEnvironment"]["Default"]}
