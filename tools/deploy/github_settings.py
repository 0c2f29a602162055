"""``make check-github``: whether the GitHub settings that complete the deploy role's trust are set.

AWS checks the OIDC token's subject (``tools/deploy/bootstrap.yaml``): this repository, the
release environment, the release workflow file, the release branch or a release tag. What stops
someone from pushing a tag or a branch that runs that workflow is GitHub's, not AWS's: the
repository's OIDC subject template (without it the subject names no workflow and no ref, and the
role trusts nothing), required reviewers and deployment refs on the environment, a ruleset that
restricts who may create, move or delete release tags, and branch protection on the release
branch. This reads each through the GitHub REST API (with ``GITHUB_TOKEN`` when set; reading
rulesets and environments needs a token that can read the repository's administration settings
on private repositories) and prints what is set, what is missing, and what it could not read.
The expected values are the bootstrap's parameter defaults, the one place they are written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tools.deploy.templates import BOOTSTRAP_STACK, load_template

API = "https://api.github.com"
SUBJECT_CLAIMS = ["repo", "context", "job_workflow_ref"]
TAG_RULES = {"creation", "update", "deletion"}
BRANCH_RULES = {"pull_request", "non_fast_forward", "deletion"}


class State(Enum):
    SET = "set"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Check:
    """One setting: its state and, when it is not set, what is wrong."""

    name: str
    state: State
    detail: str


@dataclass(frozen=True)
class Unreadable:
    """An API answer that is not the setting: the HTTP status and GitHub's message."""

    status: int
    message: str


Answer = Any | Unreadable


def _unknown(name: str, answer: Unreadable) -> Check:
    return Check(name, State.UNKNOWN, f"cannot read it (HTTP {answer.status}: {answer.message})")


def oidc_subject_check(answer: Answer) -> Check:
    """The repository's OIDC subject template must be exactly repo, context, job_workflow_ref:
    the order GitHub writes them in is the order the trust's subject patterns expect."""
    name = "OIDC subject template " + ", ".join(SUBJECT_CLAIMS)
    if isinstance(answer, Unreadable):
        return _unknown(name, answer)
    if answer.get("use_default", True):
        return Check(name, State.MISSING, "the repository uses GitHub's default subject")
    keys = answer.get("include_claim_keys") or []
    if keys != SUBJECT_CLAIMS:
        return Check(name, State.MISSING, f"the template is {', '.join(keys) or 'empty'}")
    return Check(name, State.SET, "")


def environment_checks(
    environment: str, answer: Answer, policies: Answer, branch: str, tag_pattern: str
) -> list[Check]:
    """The environment needs required reviewers and deployments limited to the release refs."""
    reviewers_name = f"environment {environment}: required reviewers"
    refs_name = f"environment {environment}: deployments only from {branch} and tags {tag_pattern}"
    if isinstance(answer, Unreadable):
        return [_unknown(reviewers_name, answer), _unknown(refs_name, answer)]
    rules = answer.get("protection_rules") or []
    reviewers = [
        reviewer
        for rule in rules
        if rule.get("type") == "required_reviewers"
        for reviewer in rule.get("reviewers") or []
    ]
    checks = [
        Check(reviewers_name, State.SET, "")
        if reviewers
        else Check(reviewers_name, State.MISSING, "nobody has to approve a release")
    ]
    policy = answer.get("deployment_branch_policy")
    if not policy:
        checks.append(Check(refs_name, State.MISSING, "any branch or tag may deploy"))
    elif not policy.get("custom_branch_policies"):
        checks.append(
            Check(
                refs_name,
                State.MISSING,
                "deployments allowed from protected branches, not named refs",
            )
        )
    elif isinstance(policies, Unreadable):
        checks.append(_unknown(refs_name, policies))
    else:
        named = {(p.get("type", "branch"), p["name"]) for p in policies.get("branch_policies", [])}
        wanted = {("branch", branch), ("tag", tag_pattern)}
        if named == wanted:
            checks.append(Check(refs_name, State.SET, ""))
        else:
            listed = ", ".join(f"{kind} {ref}" for kind, ref in sorted(named)) or "none"
            checks.append(Check(refs_name, State.MISSING, f"the environment allows {listed}"))
    return checks


def _covers(include: Sequence[str], ref: str) -> bool:
    return "~ALL" in include or ref in include


def tag_ruleset_check(rulesets: Answer, tag_pattern: str) -> Check:
    """An active tag ruleset over the release tags must restrict creating, moving and deleting
    them (only its bypass actors may push a release tag). ``rulesets`` are the full rulesets."""
    name = f"tag ruleset: only allowed people create, move or delete tags {tag_pattern}"
    if isinstance(rulesets, Unreadable):
        return _unknown(name, rulesets)
    ref = f"refs/tags/{tag_pattern}"
    covering = [
        r
        for r in rulesets
        if r.get("target") == "tag"
        and r.get("enforcement") == "active"
        and _covers(r.get("conditions", {}).get("ref_name", {}).get("include", []), ref)
    ]
    if not covering:
        return Check(name, State.MISSING, f"no active tag ruleset includes {ref}")
    restricted = {rule["type"] for r in covering for rule in r.get("rules", [])}
    lacking = sorted(TAG_RULES - restricted)
    if lacking:
        return Check(name, State.MISSING, f"tag rulesets do not restrict {', '.join(lacking)}")
    return Check(name, State.SET, "")


def branch_check(branch: str, rules: Answer, classic: Answer) -> Check:
    """The release branch changes only through reviewed pull requests, is never force-pushed and
    never deleted: by rulesets (``rules`` applying to it) or classic protection."""
    name = f"branch {branch}: reviewed pull requests only, no force push, no deletion"
    enforced: set[str] = set()
    if not isinstance(rules, Unreadable):
        for rule in rules:
            if rule.get("type") == "pull_request":
                if rule.get("parameters", {}).get("required_approving_review_count", 0) >= 1:
                    enforced.add("pull_request")
            else:
                enforced.add(rule.get("type", ""))
    if not isinstance(classic, Unreadable):
        reviews = classic.get("required_pull_request_reviews") or {}
        if reviews.get("required_approving_review_count", 0) >= 1:
            enforced.add("pull_request")
        if not (classic.get("allow_force_pushes") or {}).get("enabled", True):
            enforced.add("non_fast_forward")
        if not (classic.get("allow_deletions") or {}).get("enabled", True):
            enforced.add("deletion")
    lacking = sorted(BRANCH_RULES - enforced)
    if not lacking:
        return Check(name, State.SET, "")
    if isinstance(rules, Unreadable) and isinstance(classic, Unreadable) and classic.status != 404:
        return _unknown(name, classic)
    return Check(name, State.MISSING, f"not enforced: {', '.join(lacking)}")


def github_get(token: str | None) -> Callable[[str], Answer]:
    """A GET on the REST API: the decoded JSON, or ``Unreadable`` for an HTTP error."""

    def get(path: str) -> Answer:
        request = urllib.request.Request(
            API + path,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            try:
                message = json.load(error).get("message", error.reason)
            except ValueError:
                message = error.reason
            return Unreadable(error.code, str(message))

    return get


def release_defaults() -> dict[str, str]:
    """The environment, branch and tag pattern the bootstrap's trust names by default."""
    parameters = load_template(BOOTSTRAP_STACK)["Parameters"]
    return {
        "environment": parameters["DeployEnvironment"]["Default"],
        "branch": parameters["ReleaseBranch"]["Default"],
        "tag_pattern": parameters["ReleaseTagPattern"]["Default"],
    }


def check_repository(
    get: Callable[[str], Answer], repository: str, environment: str, branch: str, tag_pattern: str
) -> list[Check]:
    """Every check, reading the API through ``get``."""
    base = f"/repos/{repository}"
    summaries = get(f"{base}/rulesets?includes_parents=true")
    rulesets: Answer = summaries
    if not isinstance(summaries, Unreadable):
        full = [get(f"{base}/rulesets/{s['id']}") for s in summaries if s.get("target") == "tag"]
        unreadable = [r for r in full if isinstance(r, Unreadable)]
        rulesets = unreadable[0] if unreadable else full
    return [
        oidc_subject_check(get(f"{base}/actions/oidc/customization/sub")),
        *environment_checks(
            environment,
            get(f"{base}/environments/{environment}"),
            get(f"{base}/environments/{environment}/deployment-branch-policies"),
            branch,
            tag_pattern,
        ),
        tag_ruleset_check(rulesets, tag_pattern),
        branch_check(
            branch,
            get(f"{base}/rules/branches/{branch}"),
            get(f"{base}/branches/{branch}/protection"),
        ),
    ]


def report(repository: str, checks: Sequence[Check], authenticated: bool) -> str:
    """What ``make check-github`` prints."""
    lines = [f"GitHub settings of {repository} that complete the deploy role's trust:"]
    for check in checks:
        detail = f": {check.detail}" if check.detail else ""
        lines.append(f"  {check.state.value:<8} {check.name}{detail}")
    if not authenticated and any(c.state is State.UNKNOWN for c in checks):
        lines.append(
            "Set GITHUB_TOKEN (a token that can read the repository's settings) to read the rest."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """Print every check; 0 only when all are set, 1 when any is not, 2 without the API."""
    defaults = release_defaults()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repository", default=environ.get("GITHUB_REPOSITORY"))
    parser.add_argument("--environment", default=defaults["environment"])
    parser.add_argument("--branch", default=defaults["branch"])
    parser.add_argument("--tag-pattern", default=defaults["tag_pattern"])
    args = parser.parse_args(argv)
    if not args.repository:
        parser.error(
            "name the repository: --repository owner/name (or GITHUB_REPOSITORY=owner/name)"
        )
    token = environ.get("GITHUB_TOKEN") or None
    try:
        checks = check_repository(
            github_get(token), args.repository, args.environment, args.branch, args.tag_pattern
        )
    except urllib.error.URLError as error:
        print(f"cannot reach {API}: {error.reason}; nothing was checked", file=sys.stderr)
        return 2
    print(report(args.repository, checks, authenticated=token is not None))
    return 0 if all(c.state is State.SET for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
