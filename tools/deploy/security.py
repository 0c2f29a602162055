"""``make security``: checkov over every template, with each skipped check's reason on record.

No check is skipped for a whole template or run: every skip sits on the resource it concerns
(``Metadata: checkov: skip: [{id, comment}]``), with a reason about that resource. A skip whose
id is not a check's or whose reason is missing is refused before checkov runs, so no check is
skipped silently. checkov runs offline (``--skip-download``) from its own virtualenv
(``make tools``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.deploy.templates import ROOT, TEMPLATES, load_template

CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"
CHECK_ID = re.compile(r"^CKV2?_AWS_[0-9]+$")
SHORTEST_REASON = 40


class SkipError(ValueError):
    """A resource's skip is malformed: a check id that is not one, or no reason."""


@dataclass(frozen=True)
class Skip:
    """One check skipped on one resource, and why."""

    template: str
    resource: str
    check_id: str
    reason: str


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


def resource_skips(template: Path) -> list[Skip]:
    """The skips written on ``template``'s resources; ``SkipError`` unless each names a check
    and says why."""
    name = str(template.relative_to(ROOT))
    skips = []
    for resource, body in load_template(template).get("Resources", {}).items():
        for entry in body.get("Metadata", {}).get("checkov", {}).get("skip", []):
            check_id, reason = entry.get("id"), entry.get("comment")
            if not isinstance(check_id, str) or not CHECK_ID.match(check_id):
                raise SkipError(f"{name} {resource}: {check_id!r} is not a checkov AWS check id")
            if not isinstance(reason, str) or len(reason.strip()) < SHORTEST_REASON:
                raise SkipError(
                    f"{name} {resource}: {check_id} has no reason (or one too short to be one)"
                )
            skips.append(Skip(name, resource, check_id, " ".join(reason.split())))
    return skips


def scan(templates: tuple[Path, ...] = TEMPLATES) -> ScanResult:
    """Run checkov on ``templates`` (CloudFormation framework, offline) and parse its JSON."""
    for template in templates:
        resource_skips(template)
    if not CHECKOV.exists():
        raise FileNotFoundError(f"{CHECKOV} is missing: run `make tools`")
    command = [str(CHECKOV), "--framework", "cloudformation", "--skip-download", "-o", "json"]
    for template in templates:
        command += ["-f", str(template.relative_to(ROOT))]
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
    skips = [skip for template in TEMPLATES for skip in resource_skips(template)]
    result = scan()
    print(f"checkov on {', '.join(str(t.relative_to(ROOT)) for t in TEMPLATES)}")
    print(f"skipped on their resources ({len(skips)}):")
    for skip in skips:
        print(f"  {skip.check_id} on {skip.resource} ({skip.template}): {skip.reason}")
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
