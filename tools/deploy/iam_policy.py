"""IAM's policy evaluation, offline, for the statements the release templates write.

The escalation tests ask "may this role do that?" of the bootstrap's policies without an AWS
account. This follows IAM's documented logic for one account: an explicit Deny in any policy
wins; otherwise an identity policy (or, for a trust policy, the resource policy) must Allow;
a permissions boundary, when there is one, must Allow as well. Statements may use Action or
NotAction, Resource or NotResource (``*`` and ``?`` wildcards; actions case-insensitive),
Principal, and the condition operators listed in ``OPERATORS`` (with ``IfExists`` and the
``ForAnyValue:`` / ``ForAllValues:`` qualifiers). An operator it does not know raises, so a
template using one is never judged by a guess.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

ContextValue = str | bool | Sequence[str]
Document = Mapping[str, Any]


class Decision(Enum):
    """IAM's three outcomes: allowed, refused by a Deny, or refused because nothing allowed it."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it: the action, the resource ARN, the calling principal (for
    trust and resource policies, as ``(type, value)``, e.g. ``("Service", "lambda.amazonaws.com")``)
    and the condition keys the call carries."""

    action: str
    resource: str = "*"
    principal: tuple[str, str] | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _glob(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """IAM wildcards: ``*`` any run of characters (``:`` and ``/`` included), ``?`` one."""
    regex = fnmatch.translate(pattern.replace("[", "[[]"))
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch(regex, value, flags) is not None


def _string_equals(pattern: str, value: str) -> bool:
    return pattern == value


def _string_like(pattern: str, value: str) -> bool:
    return _glob(pattern, value, case_sensitive=True)


def _bool(pattern: str, value: str) -> bool:
    return pattern.lower() == value.lower()


# Base operator -> (match one value against one pattern, negated).
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (_string_equals, False),
    "StringNotEquals": (_string_equals, True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (_string_like, False),
    "ArnLike": (_string_like, False),
    "ArnNotEquals": (_string_like, True),
    "ArnNotLike": (_string_like, True),
    "Bool": (_bool, False),
}


class UnsupportedOperatorError(ValueError):
    """A condition operator this evaluator does not implement."""


def _lookup(context: Mapping[str, ContextValue], key: str) -> list[str] | None:
    """Condition keys are case-insensitive; values come back as strings (IAM compares text)."""
    for name, value in context.items():
        if name.lower() == key.lower():
            return [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(value)]
    return None


def _condition_holds(operator: str, key: str, patterns: Any, context: Mapping) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    values = _lookup(context, key)
    wanted = [str(p).lower() if isinstance(p, bool) else str(p) for p in _as_list(patterns)]
    if base == "Null":
        return (values is None) == (wanted[0].lower() == "true")
    if base not in OPERATORS:
        raise UnsupportedOperatorError(operator)
    match, negated = OPERATORS[base]
    if values is None:
        return if_exists or negated
    if qualifier == "ForAllValues":
        hits = [any(match(p, v) for p in wanted) for v in values]
        return all(not h for h in hits) if negated else all(hits)
    if qualifier not in ("", "ForAnyValue"):
        raise UnsupportedOperatorError(operator)
    if negated:
        return not any(match(p, v) for p in wanted for v in values)
    return any(match(p, v) for p in wanted for v in values)


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping) -> bool:
    return all(
        _condition_holds(operator, key, patterns, context)
        for operator, keys in conditions.items()
        for key, patterns in keys.items()
    )


def _principal_matches(principal: Any, caller: tuple[str, str] | None) -> bool:
    if caller is None:
        return False
    if principal == "*":
        return True
    kind, value = caller
    return any(p == "*" or p == value for p in _as_list(principal.get(kind, [])))


def statement_applies(statement: Document, request: Request) -> bool:
    """Whether ``statement`` covers ``request``, whatever its Effect."""
    if "Action" in statement:
        actions = _as_list(statement["Action"])
        if not any(_glob(a, request.action, case_sensitive=False) for a in actions):
            return False
    elif any(_glob(a, request.action, case_sensitive=False) for a in statement["NotAction"]):
        return False
    if "Resource" in statement:
        if not any(_string_like(r, request.resource) for r in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(
        _string_like(r, request.resource) for r in _as_list(statement["NotResource"])
    ):
        return False
    if "Principal" in statement and not _principal_matches(
        statement["Principal"], request.principal
    ):
        return False
    return _conditions_hold(statement.get("Condition", {}), request.context)


def _effects(documents: Sequence[Document], request: Request) -> set[str]:
    return {
        statement["Effect"]
        for document in documents
        for statement in _as_list(document["Statement"])
        if statement_applies(statement, request)
    }


def evaluate(
    policies: Sequence[Document], request: Request, boundary: Document | None = None
) -> Decision:
    """IAM's decision on ``request`` for a principal holding ``policies`` (identity policies, or
    a role's trust policy), capped by ``boundary`` when it has one."""
    effects = _effects(policies, request)
    capped = _effects([boundary], request) if boundary is not None else {"Allow"}
    if "Deny" in effects | capped:
        return Decision.EXPLICIT_DENY
    if "Allow" in effects and "Allow" in capped:
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY
