"""The offline IAM evaluator follows IAM's documented rules, case by case."""

from __future__ import annotations

import pytest

from tools.deploy.iam_policy import Decision, Request, UnsupportedOperatorError, evaluate


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: object = "s3:GetObject", resource: object = "*", **extra: object) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


@pytest.mark.parametrize(
    ("statement", "request_", "expected"),
    [
        (allow("s3:Get*"), Request("S3:getobject", "x"), Decision.ALLOW),
        (allow("s3:Get?bject"), Request("s3:GetObject", "x"), Decision.ALLOW),
        (allow("s3:Get*"), Request("s3:PutObject", "x"), Decision.IMPLICIT_DENY),
        (
            allow(resource="arn:aws:s3:::b/*"),
            Request("s3:GetObject", "arn:aws:s3:::b/k/l"),
            Decision.ALLOW,
        ),
        (
            allow(resource="arn:aws:s3:::b/*"),
            Request("s3:GetObject", "arn:aws:s3:::B/k"),
            Decision.IMPLICIT_DENY,
        ),
        (
            allow(resource="arn:aws:s3:::b[1]"),
            Request("s3:GetObject", "arn:aws:s3:::b1"),
            Decision.IMPLICIT_DENY,
        ),
        (
            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
            Request("s3:GetObject", "x"),
            Decision.ALLOW,
        ),
        (
            {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
            Request("iam:CreateRole", "x"),
            Decision.IMPLICIT_DENY,
        ),
        (
            {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret/*"},
            Request("s3:GetObject", "arn:aws:s3:::secret/k"),
            Decision.IMPLICIT_DENY,
        ),
    ],
    ids=[
        "action case",
        "question mark",
        "other action",
        "resource wildcard spans slashes",
        "resource case",
        "brackets literal",
        "notaction",
        "notaction excluded",
        "notresource",
    ],
)
def test_actions_and_resources(statement, request_, expected):
    assert evaluate([policy(statement)], request_) == expected


def test_an_explicit_deny_wins_over_any_allow_in_any_policy():
    deny = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    request = Request("s3:GetObject", "arn:aws:s3:::b/k")
    assert evaluate([policy(allow()), policy(deny)], request) == Decision.EXPLICIT_DENY
    assert evaluate([policy(allow())], request, boundary=policy(allow(), deny)) == (
        Decision.EXPLICIT_DENY
    )


def test_a_boundary_caps_without_granting():
    request = Request("s3:PutObject", "x")
    assert evaluate([policy(allow("*"))], request, boundary=policy(allow())) == (
        Decision.IMPLICIT_DENY
    )
    assert evaluate(
        [policy(allow())], Request("s3:GetObject", "x"), boundary=policy(allow("*"))
    ) == (Decision.ALLOW)
    assert evaluate([], Request("s3:GetObject", "x"), boundary=policy(allow("*"))) == (
        Decision.IMPLICIT_DENY
    )


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"StringEquals": {"k": "v"}}, {"K": "v"}, True),
        ({"StringEquals": {"k": "v"}}, {"k": "V"}, False),
        ({"StringEquals": {"k": "v"}}, {}, False),
        ({"StringEquals": {"k": ["a", "v"]}}, {"k": "v"}, True),
        ({"StringNotEquals": {"k": "v"}}, {}, True),
        ({"StringNotEquals": {"k": ["a", "v"]}}, {"k": "v"}, False),
        ({"StringNotEquals": {"k": ["a", "v"]}}, {"k": "b"}, True),
        ({"StringLike": {"k": "refs/tags/v*"}}, {"k": "refs/tags/v1.2"}, True),
        ({"StringLike": {"k": "refs/tags/v*"}}, {"k": "refs/heads/v1"}, False),
        ({"StringNotLike": {"k": "a*"}}, {"k": "b"}, True),
        ({"ArnLike": {"k": "arn:aws:iam::*:role/x"}}, {"k": "arn:aws:iam::1:role/x"}, True),
        ({"ArnNotLike": {"k": "arn:aws:iam::*:role/x"}}, {"k": "arn:aws:iam::1:role/y"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": True}, False),
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "false"}}, {}, False),
        ({"StringEqualsIfExists": {"k": "v"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "v"}}, {"k": "w"}, False),
        ({"ForAnyValue:StringEquals": {"k": "v"}}, {"k": ["a", "v"]}, True),
        ({"ForAllValues:StringEquals": {"k": ["a", "v"]}}, {"k": ["a", "v"]}, True),
        ({"ForAllValues:StringEquals": {"k": "v"}}, {"k": ["a", "v"]}, False),
        ({"StringEquals": {"k": "v"}, "StringLike": {"j": "x*"}}, {"k": "v", "j": "y"}, False),
    ],
)
def test_conditions(condition, context, holds):
    request = Request("s3:GetObject", "x", context=context)
    expected = Decision.ALLOW if holds else Decision.IMPLICIT_DENY
    assert evaluate([policy(allow(Condition=condition))], request) == expected


def test_an_unknown_operator_is_refused_not_guessed():
    request = Request("s3:GetObject", "x", context={"k": "1"})
    with pytest.raises(UnsupportedOperatorError, match="NumericLessThan"):
        evaluate([policy(allow(Condition={"NumericLessThan": {"k": "2"}}))], request)


@pytest.mark.parametrize(
    ("principal", "caller", "expected"),
    [
        ({"Service": "lambda.amazonaws.com"}, ("Service", "lambda.amazonaws.com"), Decision.ALLOW),
        (
            {"Service": "lambda.amazonaws.com"},
            ("Service", "ec2.amazonaws.com"),
            Decision.IMPLICIT_DENY,
        ),
        (
            {"Service": "lambda.amazonaws.com"},
            ("AWS", "lambda.amazonaws.com"),
            Decision.IMPLICIT_DENY,
        ),
        ("*", ("AWS", "arn:aws:iam::444455556666:root"), Decision.ALLOW),
        ({"AWS": "arn:aws:iam::1:root"}, None, Decision.IMPLICIT_DENY),
    ],
)
def test_trust_policies_match_the_principal(principal, caller, expected):
    trust = policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
    assert evaluate([trust], Request("sts:AssumeRole", "role", principal=caller)) == expected
