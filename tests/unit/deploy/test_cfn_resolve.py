"""The offline resolver hands IAM the documents CloudFormation would."""

from __future__ import annotations

import pytest

from tools.deploy.cfn_resolve import Deployment, ResolvedTemplate

TEMPLATE = {
    "Parameters": {
        "Name": {"Type": "String", "Default": "svc"},
        "Open": {"Type": "String", "Default": "false"},
    },
    "Conditions": {
        "IsOpen": {"Fn::Equals": [{"Ref": "Open"}, "true"]},
        "IsClosed": {"Fn::Not": [{"Condition": "IsOpen"}]},
    },
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Path": "/app/",
                "AssumeRolePolicyDocument": {"Statement": []},
                "Policies": [
                    {
                        "PolicyName": "inline",
                        "PolicyDocument": {
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "s3:GetObject",
                                    "Resource": [
                                        {"Fn::Sub": "${Bucket.Arn}/${Name}/*"},
                                        {"Fn::If": ["IsOpen", "*", {"Ref": "AWS::NoValue"}]},
                                        {
                                            "Fn::Sub": [
                                                "arn:${AWS::Partition}:s3:::${b}",
                                                {"b": {"Fn::Join": ["-", ["x", {"Ref": "Name"}]]}},
                                            ]
                                        },
                                    ],
                                }
                            ]
                        },
                    }
                ],
            },
        },
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "WhenOpen": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Condition": "IsOpen",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": ["open"]}},
        },
        "WhenClosed": {
            "Type": "AWS::IAM::ManagedPolicy",
            "Condition": "IsClosed",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": ["closed"]}},
        },
    },
}


def resolved(**parameters: str) -> ResolvedTemplate:
    return ResolvedTemplate(TEMPLATE, Deployment("stack", parameters, account="123456789012"))


def test_intrinsics_resolve_and_no_value_drops_the_item():
    [inline, closed] = resolved().identity_policies("Role")
    assert inline["Statement"][0]["Resource"] == [
        "arn:aws:s3:::stack-bucket-example123/svc/*",
        "arn:aws:s3:::x-svc",
    ]
    assert closed == {"Statement": ["closed"]}


def test_conditions_follow_the_parameters():
    [inline, opened] = resolved(Open="true", Name="api").identity_policies("Role")
    assert inline["Statement"][0]["Resource"] == [
        "arn:aws:s3:::stack-bucket-example123/api/*",
        "*",
        "arn:aws:s3:::x-api",
    ]
    assert opened == {"Statement": ["open"]}


def test_generated_names_carry_the_path_and_the_stack():
    template = resolved()
    assert template.arn("Role") == "arn:aws:iam::123456789012:role/app/stack-Role-EXAMPLE123"
    assert template.arn("WhenOpen") == "arn:aws:iam::123456789012:policy/stack-WhenOpen-EXAMPLE123"


def test_a_parameter_the_template_does_not_declare_is_refused():
    with pytest.raises(KeyError, match="Typo"):
        resolved(Typo="x")
