"""``make security``: checkov over every template, with each skipped check's reason on record.

The skips live in ``tools/deploy/checkov-skips.yaml``, one check id and one reason each; a file
whose entries are not ``CKV_AWS_<n>: reason`` is refused before checkov runs, so no check is skipped
silently. checkov runs offline (``--skip-download``) from its own virtualenv (``make tools``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools.deploy.templates import ROOT, TEMPLATES

SKIPS = ROOT / "tools" / "deploy" / "checkov-skips.yaml"
CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"
CHECK_ID = re.compile(r"^CKV2?_AWS_[0-9]+$")
SHORTEST_REASON = 40


class SkipFileError(ValueError):
    """The skip file is malformed: a check id that is not one, or a skip without a reason."""


@dataclass(frozen=True)
class Finding:
    """One failed check on one resource."""

    check_id: str
    check_name: str
    resource: str
    file: str


@dataclass(frozen=True)
class ScanResult:
    """What checkov found with the skips applied."""

    passed: int
    failed: list[Finding]
    parsing_errors: list[str]
    resources: int


def load_skips(path: Path = SKIPS) -> dict[str, str]:
    """Check id -> reason; ``SkipFileError`` unless every entry names a check and says why."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not data:
        raise SkipFileError(f"{path}: expected a mapping of check ids to reasons")
    for check_id, reason in data.items():
        if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
            raise SkipFileError(f"{path}: {check_id!r} is not a checkov AWS check id")
        if not isinstance(reason, str) or len(reason.strip()) < SHORTEST_REASON:
            raise SkipFileError(f"{path}: {check_id} has no reason (or one too short to be one)")
    return dict(sorted(data.items()))


def scan(
    templates: tuple[Path, ...] = TEMPLATES, skips: dict[str, str] | None = None
) -> ScanResult:
    """Run checkov on ``templates`` (CloudFormation framework, offline) and parse its JSON."""
    skips = load_skips() if skips is None else skips
    if not CHECKOV.exists():
        raise FileNotFoundError(f"{CHECKOV} is missing: run `make tools`")
    command = [str(CHECKOV), "--framework", "cloudformation", "--skip-download", "-o", "json"]
    for template in templates:
        command += ["-f", str(template.relative_to(ROOT))]
    if skips:
        command += ["--skip-check", ",".join(skips)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        raise RuntimeError(f"checkov did not answer JSON:\n{done.stdout}\n{done.stderr}") from None
    results = report["results"]
    failed = [
        Finding(c["check_id"], c["check_name"], c["resource"], c["file_path"])
        for c in results["failed_checks"]
    ]
    return ScanResult(
        passed=report["summary"]["passed"],
        failed=failed,
        parsing_errors=list(results.get("parsing_errors", [])),
        resources=report["summary"]["resource_count"],
    )


def main() -> int:
    """Print the skips with their reasons, then every failure; 1 if any check failed."""
    skips = load_skips()
    result = scan(skips=skips)
    print(f"checkov on {', '.join(str(t.relative_to(ROOT)) for t in TEMPLATES)}")
    print(f"skipped ({len(skips)}), from {SKIPS.relative_to(ROOT)}:")
    for check_id, reason in skips.items():
        print(f"  {check_id}: {' '.join(reason.split())}")
    for finding in result.failed:
        print(
            f"FAILED {finding.check_id} {finding.resource} ({finding.file}): {finding.check_name}"
        )
    for error in result.parsing_errors:
        print(f"PARSING ERROR {error}")
    print(
        f"{result.resources} resources: {result.passed} checks passed, "
        f"{len(result.failed)} failed, {len(result.parsing_errors)} parsing errors"
    )
    return 1 if result.failed or result.parsing_errors else 0


if __name__ == "__main__":
    sys.exit(main())
