"""batch/template.yaml, the nested application template.yaml deploys as BatchScoring: what it
holds, least privilege, and a state machine that the real linter accepts and that hands
BatchFunction exactly the shapes it reads."""

from __future__ import annotations

import json
import re

import cfnlint.api
import pytest
from sam_support import ROOT, load_template

from onnx_serving.batch.events import DIRECT, ROW_BATCH, FileJob, RowsJob, read_event

TEMPLATE_DOC = load_template(ROOT / "batch" / "template.yaml")
RESOURCES = TEMPLATE_DOC["Resources"]
PARAMETERS = TEMPLATE_DOC["Parameters"]
PARENT = load_template()
STACK_ID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
STATE_MACHINE = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${ParentStackName}-batch-scoring"  # noqa: E501
OUTPUTS = [
    "BatchBucketName",
    "BatchFunctionName",
    "BatchDeadLetterQueueUrl",
    "BatchStateMachineArn",
]
# batch/template.yaml's settings that template.yaml passes on when given (empty: their default).
PASSED_WHEN_GIVEN = [
    "BatchInputPrefix",
    "BatchOutputPrefix",
    "BatchMemorySize",
    "BatchTimeout",
    "BatchReservedConcurrency",
    "BatchMaxConcurrency",
    "BatchToleratedFailurePercentage",
    "BatchRowsPerInvocation",
]


def bucket_arn(prefix_parameter: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ParentStackName}-batch-"},
                STACK_ID,
                {"Fn::Sub": f"/${{{prefix_parameter}}}*"},
            ],
        ]
    }


def test_batch_holds_exactly_these_resources():
    assert {n: r["Type"] for n, r in RESOURCES.items()} == {
        "BatchBucket": "AWS::S3::Bucket",
        "BatchBucketTlsOnlyPolicy": "AWS::S3::BucketPolicy",
        "BatchDeadLetterQueue": "AWS::SQS::Queue",
        "BatchDeadLetterAlarm": "AWS::CloudWatch::Alarm",
        "BatchFunctionLogGroup": "AWS::Logs::LogGroup",
        "BatchFunctionRole": "AWS::IAM::Role",
        "BatchFunction": "AWS::Serverless::Function",
        "BatchStateMachineLogGroup": "AWS::Logs::LogGroup",
        "BatchStateMachineRole": "AWS::IAM::Role",
        "BatchStateMachine": "AWS::StepFunctions::StateMachine",
    }
    assert list(TEMPLATE_DOC["Outputs"]) == OUTPUTS


def test_template_yaml_deploys_it_as_a_nested_application_only_when_asked():
    application = PARENT["Resources"]["BatchScoring"]
    assert application["Type"] == "AWS::Serverless::Application"
    assert application["Condition"] == "BatchEnabled"
    assert PARENT["Conditions"]["BatchEnabled"] == {"Fn::Equals": [{"Ref": "DeployBatch"}, "true"]}
    assert PARENT["Parameters"]["DeployBatch"]["Default"] == "false"
    assert application["Properties"]["Location"] == "batch/template.yaml"
    given = application["Properties"]["Parameters"]
    assert {n: v for n, v in given.items() if n not in PASSED_WHEN_GIVEN} == {
        "ParentStackName": {"Ref": "AWS::StackName"},
        "LayerArn": {"Fn::If": ["BuildOwnLayer", {"Ref": "OnnxRuntimeLayer"}, {"Ref": "LayerArn"}]},
        "Runtime": {"Ref": "Runtime"},
        "Architecture": {"Ref": "Architecture"},
        "LogLevel": {"Ref": "LogLevel"},
        "LogRetentionDays": {"Ref": "LogRetentionDays"},
        "PermissionsBoundaryArn": {"Ref": "PermissionsBoundaryArn"},
        "RolePath": {"Ref": "RolePath"},
    }
    assert set(given) == set(PARAMETERS)
    for name in PASSED_WHEN_GIVEN:
        assert PARENT["Parameters"][name] == {"Type": "String", "Default": ""}
        assert given[name] == {"Fn::If": [f"Has{name}", {"Ref": name}, {"Ref": "AWS::NoValue"}]}
        assert PARENT["Conditions"][f"Has{name}"] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]
        }
    assert {n: o for n, o in PARENT["Outputs"].items() if n in OUTPUTS} == {
        name: {
            "Condition": "BatchEnabled",
            "Value": {"Fn::GetAtt": ["BatchScoring", f"Outputs.{name}"]},
        }
        for name in OUTPUTS
    }


def test_batch_parameters_default_to_the_documented_values():
    assert {n: p.get("Default") for n, p in PARAMETERS.items()} == {
        "ParentStackName": None,
        "LayerArn": None,
        "Runtime": "python3.13",
        "Architecture": "x86_64",
        "LogLevel": "INFO",
        "LogRetentionDays": 14,
        "PermissionsBoundaryArn": "",
        "RolePath": "/onnx-lambda/",
        "BatchInputPrefix": "incoming/",
        "BatchOutputPrefix": "scored/",
        "BatchMemorySize": 1769,
        "BatchTimeout": 900,
        "BatchReservedConcurrency": 10,
        "BatchMaxConcurrency": 10,
        "BatchToleratedFailurePercentage": 0,
        "BatchRowsPerInvocation": 2000,
    }


@pytest.mark.parametrize("parameter", ["BatchInputPrefix", "BatchOutputPrefix"])
@pytest.mark.parametrize(
    ("prefix", "allowed"),
    [
        ("incoming/", True),
        ("scored_2026-01.v1/", True),
        ("*/", False),
        ("in*/", False),
        ("in?/", False),
        ("in/sub/", False),
        ("incoming", False),
        ("", False),
    ],
)
def test_prefixes_are_one_segment_without_wildcards(parameter, prefix, allowed):
    pattern = PARAMETERS[parameter]["AllowedPattern"]
    assert (re.fullmatch(pattern, prefix) is not None) is allowed


def test_a_rule_refuses_the_same_prefix_for_input_and_output():
    assert TEMPLATE_DOC["Rules"] == {
        "OutputIsNotInput": {
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Not": [
                            {
                                "Fn::Equals": [
                                    {"Ref": "BatchInputPrefix"},
                                    {"Ref": "BatchOutputPrefix"},
                                ]
                            }
                        ]
                    },
                    "AssertDescription": TEMPLATE_DOC["Rules"]["OutputIsNotInput"]["Assertions"][0][
                        "AssertDescription"
                    ],
                }
            ]
        }
    }


def test_batch_function_is_the_function_folder_and_layer_with_its_own_entry_point():
    function = RESOURCES["BatchFunction"]
    properties = function["Properties"]
    assert (properties["CodeUri"], properties["Handler"]) == ("../function/", "batch_app.handler")
    assert properties["Layers"] == [{"Ref": "LayerArn"}]
    assert (properties["MemorySize"], properties["Timeout"]) == (
        {"Ref": "BatchMemorySize"},
        {"Ref": "BatchTimeout"},
    )
    assert properties["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "BatchReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert TEMPLATE_DOC["Conditions"]["HasReservedConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "BatchReservedConcurrency"}, "-1"]}]
    }
    assert properties["EventInvokeConfig"] == {"MaximumRetryAttempts": 1}
    assert properties["Environment"]["Variables"] == {
        "BATCH_OUTPUT_PREFIX": {"Ref": "BatchOutputPrefix"},
        "BATCH_STATE_MACHINE_ARN": {"Fn::Sub": STATE_MACHINE},
        "LOG_LEVEL": {"Ref": "LogLevel"},
        "METRICS_NAMESPACE": {"Fn::Sub": "onnx-lambda/${ParentStackName}"},
    }
    assert properties["Events"] == {
        "Upload": {
            "Type": "S3",
            "Properties": {
                "Bucket": {"Ref": "BatchBucket"},
                "Events": "s3:ObjectCreated:*",
                "Filter": {
                    "S3Key": {"Rules": [{"Name": "prefix", "Value": {"Ref": "BatchInputPrefix"}}]}
                },
            },
        }
    }
    assert function["Metadata"]["BuildMethod"] == "makefile"
    name = RESOURCES["BatchStateMachine"]["Properties"]["StateMachineName"]
    assert STATE_MACHINE.endswith(":" + name["Fn::Sub"])


def statements(role: str) -> list[dict]:
    properties = RESOURCES[role]["Properties"]
    return [s for p in properties["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_batch_function_may_read_the_input_prefix_write_the_output_prefix_and_log():
    assert statements("BatchFunctionRole") == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["BatchFunctionLogGroup", "Arn"]},
        },
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": bucket_arn("BatchInputPrefix")},
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": bucket_arn("BatchOutputPrefix"),
        },
        {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["BatchDeadLetterQueue", "Arn"]},
        },
    ]
    assert RESOURCES["BatchFunction"]["Properties"]["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["BatchDeadLetterQueue", "Arn"]},
    }


def test_bucket_is_named_after_the_online_stack_for_the_release_roles_rights():
    """The release role's S3 rights cover `<stack>-batch-*`: the name starts with the parent's
    stack name (a nested stack's own name has capitals, which bucket names refuse)."""
    assert RESOURCES["BatchBucket"]["Properties"]["BucketName"] == {
        "Fn::Join": ["-", [{"Ref": "ParentStackName"}, "batch", STACK_ID]]
    }
    assert PARAMETERS["ParentStackName"]["AllowedPattern"] == "^[a-z][a-z0-9-]*$"


def test_bucket_refuses_every_request_without_tls():
    policy = RESOURCES["BatchBucketTlsOnlyPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "BatchBucket"}
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [
                {"Fn::GetAtt": ["BatchBucket", "Arn"]},
                {"Fn::Sub": "${BatchBucket.Arn}/*"},
            ],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_an_alarm_watches_the_dead_letter_queue():
    alarm = RESOURCES["BatchDeadLetterAlarm"]["Properties"]
    del alarm["AlarmDescription"]
    assert alarm == {
        "AlarmName": {"Fn::Sub": "${ParentStackName}-batch-dead-letters"},
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [
            {"Name": "QueueName", "Value": {"Fn::GetAtt": ["BatchDeadLetterQueue", "QueueName"]}}
        ],
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }


def test_state_machine_logs_its_errors_without_execution_data_to_its_log_group():
    properties = RESOURCES["BatchStateMachine"]["Properties"]
    assert properties["LoggingConfiguration"] == {
        "Level": "ERROR",
        "IncludeExecutionData": False,
        "Destinations": [
            {
                "CloudWatchLogsLogGroup": {
                    "LogGroupArn": {"Fn::GetAtt": ["BatchStateMachineLogGroup", "Arn"]}
                }
            }
        ],
    }
    assert RESOURCES["BatchStateMachineLogGroup"]["Properties"] == {
        "LogGroupName": {"Fn::Sub": "/aws/vendedlogs/states/${ParentStackName}-batch-scoring"},
        "RetentionInDays": {"Ref": "LogRetentionDays"},
    }


def test_state_machine_role_is_for_this_state_machine_and_scoped_to_the_two_prefixes():
    trust = RESOURCES["BatchStateMachineRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {"aws:SourceArn": {"Fn::Sub": STATE_MACHINE}},
            },
        }
    ]
    s3_statements = {
        json.dumps(s["Action"]): s
        for s in statements("BatchStateMachineRole")
        if "s3:" in json.dumps(s["Action"])
    }
    assert s3_statements['"s3:ListBucket"']["Condition"] == {
        "StringLike": {"s3:prefix": {"Fn::Sub": "${BatchInputPrefix}*"}}
    }
    assert s3_statements['"s3:GetObject"']["Resource"] == {
        "Fn::Sub": "${BatchBucket.Arn}/${BatchInputPrefix}*"
    }
    writer = s3_statements[
        json.dumps(
            [
                "s3:PutObject",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:AbortMultipartUpload",
            ]
        )
    ]
    assert writer["Resource"] == {"Fn::Sub": "${BatchBucket.Arn}/${BatchOutputPrefix}runs/*"}
    invoke = [
        s for s in statements("BatchStateMachineRole") if s["Action"] == "lambda:InvokeFunction"
    ]
    assert invoke[0]["Resource"] == [
        {"Fn::GetAtt": ["BatchFunction", "Arn"]},
        {"Fn::Sub": "${BatchFunction.Arn}:*"},
    ]
    wildcard = [s for s in statements("BatchStateMachineRole") if s["Resource"] == "*"]
    assert wildcard == [
        {
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
            ],
            "Resource": "*",
        }
    ]


# What the test substitutes for the template's placeholders; numbers are the defaults.
VALUES = {
    "Bucket": "onnx-lambda-batch-1234",
    "Function": "arn:aws:lambda:us-east-1:123456789012:function:local-batch",
    "OutputPrefix": "scored/",
}


def definition(overrides: dict[str, str] | None = None) -> str:
    """The state machine as CloudFormation would render it with the parameter defaults."""
    text, variables = RESOURCES["BatchStateMachine"]["Properties"]["DefinitionString"]["Fn::Sub"]
    values = dict(VALUES)
    for name, value in variables.items():
        if name not in values:
            values[name] = str(PARAMETERS[value["Ref"]]["Default"])
    values.update(overrides or {})
    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(variables)
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


def lint(definitions: dict[str, str]) -> list[tuple[str, str]]:
    """cfn-lint (the linter `sam validate --lint` runs) on a plain template holding one state
    machine per definition: (rule id, resource) of every finding."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            name: {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/batch",
                    "DefinitionString": text,
                },
            }
            for name, text in definitions.items()
        },
    }
    matches = cfnlint.api.lint(json.dumps(template), regions=["us-east-1"])
    return sorted({(m.rule.id, m.path[1]) for m in matches})


def test_state_machine_definition_passes_the_linter_which_does_see_a_broken_one():
    """One lint run for both: the real definition, and one with a state type that is not one."""
    broken = definition().replace('"Type": "Choice"', '"Type": "Choyce"', 1)
    assert lint({"Real": definition(), "Broken": broken}) == [("E3601", "Broken")]


def test_both_distributed_maps_are_bounded_and_write_their_results():
    states = json.loads(definition())["States"]
    assert states["WhatToScore"]["Choices"] == [
        {"Variable": "$.key", "IsPresent": True, "Next": "ScoreRowsOfOneCsv"}
    ]
    for name in ("ScoreEveryFileUnderPrefix", "ScoreRowsOfOneCsv"):
        state = states[name]
        assert state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
        assert (state["MaxConcurrency"], state["ToleratedFailurePercentage"]) == (10, 0)
        assert state["ResultWriter"]["Parameters"] == {
            "Bucket": VALUES["Bucket"],
            "Prefix": "scored/runs/",
        }
    listing = states["ScoreEveryFileUnderPrefix"]["ItemReader"]
    assert listing["Resource"] == "arn:aws:states:::s3:listObjectsV2"
    rows = states["ScoreRowsOfOneCsv"]
    assert rows["ItemReader"]["ReaderConfig"] == {
        "InputType": "CSV",
        "CSVHeaderLocation": "FIRST_ROW",
    }
    assert rows["ItemBatcher"]["MaxItemsPerBatch"] == 2000
    # A child execution's input may be at most 256 KiB.
    assert rows["ItemBatcher"]["MaxInputBytesPerBatch"] <= 256 * 1024


def json_path(path: str, state_input: dict, item: object, index: int) -> object:
    """The few JSONPath forms the definition uses: ``$.x`` and ``$$.Map.Item.Value/Index``."""
    if path == "$$.Map.Item.Index":
        return index
    if path.startswith("$$.Map.Item.Value"):
        value = item
        for part in (
            path.removeprefix("$$.Map.Item.Value").strip(".").split(".")
            if path != "$$.Map.Item.Value"
            else []
        ):
            value = value[part]
        return value
    return state_input[path.removeprefix("$.")]


def selected(selector: dict, state_input: dict, item: object, index: int) -> dict:
    """``ItemSelector`` applied to one item, as Step Functions applies it."""
    return {
        (k[:-2] if k.endswith(".$") else k): (
            json_path(v, state_input, item, index) if k.endswith(".$") else v
        )
        for k, v in selector.items()
    }


def test_a_listing_item_reaches_batch_function_as_a_file_job():
    state = json.loads(definition())["States"]["ScoreEveryFileUnderPrefix"]
    listed = {
        "Etag": '"0f343b0931126a20f133d67c2b018a3b"',
        "Key": "incoming/a.csv",
        "LastModified": 1700000000,
        "Size": 1024,
        "StorageClass": "STANDARD",
    }
    event = selected(state["ItemSelector"], {"prefix": "incoming/"}, listed, 0)
    assert state["ItemProcessor"]["States"]["ScoreFile"]["Parameters"]["Payload.$"] == "$"
    assert read_event(event, "scored/") == (
        DIRECT,
        [
            FileJob(
                VALUES["Bucket"], "incoming/a.csv", "scored/", '"0f343b0931126a20f133d67c2b018a3b"'
            )
        ],
    )


def test_a_batch_of_csv_rows_reaches_batch_function_as_a_rows_job():
    state = json.loads(definition())["States"]["ScoreRowsOfOneCsv"]
    state_input = {"key": "incoming/big.csv"}
    rows = [{"id": "a", "x": "1.5"}, {"id": "b", "x": "2.5"}]
    batcher = state["ItemBatcher"]
    event = {
        "BatchInput": selected(batcher["BatchInput"], state_input, None, 0),
        "Items": [
            selected(state["ItemSelector"], state_input, row, i) for i, row in enumerate(rows)
        ],
    }
    assert read_event(event, "scored/") == (
        ROW_BATCH,
        [
            RowsJob(
                VALUES["Bucket"],
                "incoming/big.csv",
                "scored/",
                ["id", "x"],
                [(0, ["a", "1.5"]), (1, ["b", "2.5"])],
            )
        ],
    )


@pytest.mark.parametrize("machine_state", ["ScoreFile", "ScoreRows"])
def test_a_refused_file_fails_its_child_execution_with_the_reason(machine_state):
    states = json.loads(definition())["States"]
    parent = "ScoreEveryFileUnderPrefix" if machine_state == "ScoreFile" else "ScoreRowsOfOneCsv"
    inner = states[parent]["ItemProcessor"]["States"]
    task = inner[machine_state]
    choice = inner[task["Next"]]
    assert task["OutputPath"] == "$.Payload"
    assert choice["Choices"][0]["Variable"] == "$.status"
    assert choice["Choices"][0]["StringEquals"] == "scored"
    assert inner[choice["Default"]] == {
        "Type": "Fail",
        "Error": "BatchFileRefused",
        "CausePath": "$.reason",
    }
