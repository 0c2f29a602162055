"""template.yaml's batch block: what DeployBatch adds, least privilege, and a state machine
that the real linter accepts and that hands BatchFunction exactly the shapes it reads."""

from __future__ import annotations

import json
import re

import cfnlint.api
import pytest
from sam_support import load_template

from onnx_serving.batch.events import DIRECT, ROW_BATCH, FileJob, RowsJob, read_event

TEMPLATE_DOC = load_template()
RESOURCES = TEMPLATE_DOC["Resources"]
PARAMETERS = TEMPLATE_DOC["Parameters"]
STACK_ID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
STATE_MACHINE = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-batch-scoring"  # noqa: E501


def bucket_arn(prefix_parameter: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":s3:::onnx-batch-",
                STACK_ID,
                "/",
                {"Ref": prefix_parameter},
                "*",
            ],
        ]
    }


def test_deploy_batch_adds_exactly_these_resources_and_only_when_asked():
    batch = {n: r["Type"] for n, r in RESOURCES.items() if r.get("Condition") == "BatchEnabled"}
    assert batch == {
        "BatchBucket": "AWS::S3::Bucket",
        "BatchDeadLetterQueue": "AWS::SQS::Queue",
        "BatchFunctionLogGroup": "AWS::Logs::LogGroup",
        "BatchFunctionRole": "AWS::IAM::Role",
        "BatchFunction": "AWS::Serverless::Function",
        "BatchStateMachineRole": "AWS::IAM::Role",
        "BatchStateMachine": "AWS::StepFunctions::StateMachine",
    }
    assert TEMPLATE_DOC["Conditions"]["BatchEnabled"] == {
        "Fn::Equals": [{"Ref": "DeployBatch"}, "true"]
    }
    batch_outputs = {
        n for n, o in TEMPLATE_DOC["Outputs"].items() if o.get("Condition") == "BatchEnabled"
    }
    assert batch_outputs == {
        "BatchBucketName",
        "BatchFunctionName",
        "BatchDeadLetterQueueUrl",
        "BatchStateMachineArn",
    }


def test_batch_parameters_default_to_the_documented_values():
    names = [n for n in PARAMETERS if n.startswith(("Batch", "DeployBatch"))]
    assert {n: PARAMETERS[n]["Default"] for n in names} == {
        "DeployBatch": "false",
        "BatchInputPrefix": "incoming/",
        "BatchOutputPrefix": "scored/",
        "BatchMemorySize": 1769,
        "BatchTimeout": 900,
        "BatchMaxConcurrency": 10,
        "BatchToleratedFailurePercentage": 0,
        "BatchRowsPerInvocation": 2000,
    }


def test_batch_function_is_the_same_folder_layer_and_model_with_its_own_entry_point():
    function = RESOURCES["BatchFunction"]
    properties = function["Properties"]
    assert (properties["CodeUri"], properties["Handler"]) == ("function/", "batch_app.handler")
    assert properties["Layers"] == RESOURCES["InferenceFunction"]["Properties"]["Layers"]
    assert (properties["MemorySize"], properties["Timeout"]) == (
        {"Ref": "BatchMemorySize"},
        {"Ref": "BatchTimeout"},
    )
    assert properties["Environment"]["Variables"] == {
        "BATCH_OUTPUT_PREFIX": {"Ref": "BatchOutputPrefix"},
        "BATCH_STATE_MACHINE_ARN": {"Fn::Sub": STATE_MACHINE},
        "LOG_LEVEL": {"Ref": "LogLevel"},
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
    assert function["Metadata"] == {"BuildMethod": "makefile"}
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
    assert RESOURCES["BatchBucket"]["Properties"]["BucketName"] == {
        "Fn::Join": ["-", ["onnx-batch", STACK_ID]]
    }


def test_state_machine_role_is_for_step_functions_and_scoped_to_the_two_prefixes():
    trust = RESOURCES["BatchStateMachineRole"]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
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


# What the test substitutes for the template's placeholders; numbers are the defaults.
VALUES = {
    "Bucket": "onnx-batch-1234",
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
