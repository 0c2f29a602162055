"""Security properties the other suites do not pin: no pickle by content or by code, the model's
digest, IAM without wildcards, hash-locked dependencies, and no request content in any log line.

(tests/integration/test_sam_build.py already refuses pickle file names in the build;
tests/unit/deploy/test_template.py pins the auth default, the public-access condition and the
roles' log-only statements.)
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import sam_support
from fixture_models import demo_model, staged_project
from sam_support import ROOT, as_list, iam_statements, load_template

from tools.deploy.templates import TEMPLATES, translated
from tools.reliability.corpus import load_cases
from tools.reliability.inprocess import InProcessFunction

# Pickle protocols 2-5 start with PROTO (0x80) and the protocol number; a joblib file with them.
PICKLE_MAGIC = re.compile(rb"\A\x80[\x02-\x05]")
UNSAFE_MODULES = {
    "pickle",
    "cPickle",
    "_pickle",
    "joblib",
    "cloudpickle",
    "dill",
    "shelve",
    "marshal",
}
CANARY = "CANARY7f3a"


def function_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def unsafe_loads(source: str) -> list[str]:
    """Imports of pickle-family modules and calls of ``*.load``/``*.loads`` on numpy or them."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif (
            isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES
        ):
            found.append(node.module)
        elif isinstance(node, ast.Attribute) and node.attr in {"load", "loads"}:
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in {"np", "numpy", *UNSAFE_MODULES}:
                found.append(f"{owner.id}.{node.attr}")
    return found


def package(where: str) -> Path:
    """The function folder (as the tests stage it, with their model), or the function as
    ``sam build`` packaged it."""
    if where == "source":
        return staged_project() / "function"
    return sam_support.sam_build_dir() / "InferenceFunction"


@pytest.mark.parametrize("where", ["source", "sam-build"])
def test_function_package_holds_no_pickle_and_no_code_that_loads_one(where):
    root = package(where)
    files = function_files(root)
    assert {p.name for p in files} >= {"app.py", "model.onnx", "model.json"}
    assert [p.name for p in files if PICKLE_MAGIC.match(p.read_bytes()[:2])] == []
    modules = [p for p in files if p.suffix == ".py"]
    assert {p.name: unsafe_loads(p.read_text()) for p in modules} == {p.name: [] for p in modules}


def test_the_pickle_detectors_detect():
    import pickle

    assert PICKLE_MAGIC.match(pickle.dumps([1], protocol=2))
    assert PICKLE_MAGIC.match(pickle.dumps([1], protocol=5))
    assert unsafe_loads("import joblib\nfrom pickle import loads\nnp.load('x')\n") == [
        "joblib",
        "pickle",
        "np.load",
    ]


@pytest.mark.slow
def test_built_model_is_the_one_the_card_vouches_for():
    built = sam_support.sam_build_dir() / "InferenceFunction"
    card = json.loads((built / "model.json").read_text())
    assert hashlib.sha256((built / "model.onnx").read_bytes()).hexdigest() == card["sha256"]
    assert (built / "model.onnx").read_bytes() == (
        demo_model().model_dir / "model.onnx"
    ).read_bytes()


# Actions IAM cannot scope to a resource ARN, so that "Resource": "*" is their only form: the log
# delivery and resource-policy calls API Gateway makes for access logs (CloudFormation's role in
# the bootstrap stack needs them to create the HTTP API's stage) and Step Functions makes for the
# batch state machine's logs (with its own role).
UNSCOPABLE_ACTIONS = {
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
}


def every_template() -> list[tuple[str, dict]]:
    """Each template as written and as SAM expands it (which adds the roles SAM generates)."""
    return [
        (f"{path.relative_to(ROOT)}{suffix}", document)
        for path in TEMPLATES
        for suffix, document in (("", load_template(path)), (" (translated)", translated(path)))
    ]


def test_no_iam_statement_has_a_wildcard_action_or_a_wildcard_on_everything():
    statements = [
        (f"{name}: {holder}", statement)
        for name, template in every_template()
        for holder, statement in iam_statements(template)
    ]
    assert len(statements) >= 40
    for holder, statement in statements:
        actions = as_list(statement["Action"])
        # A wildcard widens an Allow; in a Deny (a TLS-only bucket policy) it only narrows.
        if statement["Effect"] == "Allow":
            assert not any("*" in str(action) for action in actions), holder
        assert "NotAction" not in statement and "NotResource" not in statement, holder
        if statement["Effect"] == "Allow" and "*" in as_list(statement.get("Resource", [])):
            assert set(actions) <= UNSCOPABLE_ACTIONS, holder


def test_each_role_is_assumable_by_its_service_alone():
    principals = {
        name: [s["Principal"] for s in r["Properties"]["AssumeRolePolicyDocument"]["Statement"]]
        for _, template in every_template()
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
    }
    assert principals == {
        "InferenceFunctionRole": [{"Service": "lambda.amazonaws.com"}],
        "PreTrafficHookRole": [{"Service": "lambda.amazonaws.com"}],
        "PickleBaselineRole": [{"Service": "lambda.amazonaws.com"}],
        "RolloutRole": [{"Service": "codedeploy.amazonaws.com"}],
        "BatchFunctionRole": [{"Service": "lambda.amazonaws.com"}],
        "BatchStateMachineRole": [{"Service": "states.amazonaws.com"}],
        "CloudFormationExecutionRole": [{"Service": "cloudformation.amazonaws.com"}],
        "DeployRole": [
            {
                "Federated": {
                    "Fn::If": [
                        "CreateOidcProvider",
                        {"Ref": "GitHubOidcProvider"},
                        {"Ref": "ExistingOidcProviderArn"},
                    ]
                }
            }
        ],
    }


def test_api_gateway_may_invoke_only_from_this_api():
    permissions = [
        r["Properties"]
        for r in load_template()["Resources"].values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    assert len(permissions) == 1
    assert permissions[0]["SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}"
        ":${InferenceHttpApi}/*"
    }


@pytest.mark.parametrize(
    "lock",
    [
        "layer/requirements-x86_64.txt",
        "layer/requirements-arm64.txt",
        "requirements/dev.txt",
        "requirements/bootstrap.txt",
        "requirements/tools.txt",
        "requirements/runtime-client.txt",
    ],
)
def test_dependencies_are_pinned_with_hashes(lock):
    """Each requirement is ``name==version`` followed by its sha256 hashes (pip/uv
    ``--require-hashes`` then refuses any other file, whatever the index serves)."""
    text = (ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())
    requirements = [e for e in entries if not e.startswith("#")]
    assert requirements
    for entry in requirements:
        assert re.match(r"[A-Za-z0-9._-]+(\[[a-z0-9,_-]+\])?==[^ \\]+ ", entry), entry
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry


def test_layer_requires_only_the_inference_runtime():
    pins = [
        line.split("==")[0]
        for line in (ROOT / "layer" / "requirements.in").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert sorted(pins) == ["numpy", "onnxruntime"]


def canary_requests() -> list[bytes]:
    """Requests carrying the canary in every place a caller controls."""
    named = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, CANARY: 0.2}
    payloads = [
        {"features": [5.1, 3.5, 1.4, CANARY]},
        {"features": named},
        {CANARY: [1, 2, 3, 4]},
        {"instances": [[5.1, 3.5, 1.4, 0.2], [CANARY]]},
    ]
    events = [json.dumps(p).encode() for p in payloads]
    for entry_event in ("apigw-rest-v1", "apigw-http-v2", "function-url"):
        base = json.loads((ROOT / "events" / f"{entry_event}.json").read_text())
        for body, headers, method in [
            (f'{{"features": [{CANARY}]}}', base["headers"], "POST"),
            (json.dumps(payloads[1]), base["headers"], "POST"),
            ("{}", {"content-type": f"text/{CANARY}"}, "POST"),
            ("{}", base["headers"], CANARY),
            (f'{{"{CANARY}": 1, "{CANARY}": 2}}', base["headers"], "POST"),
        ]:
            event = {**base, "body": body, "headers": headers, "isBase64Encoded": False}
            event.pop("multiValueHeaders", None)
            if "httpMethod" in event:
                event["httpMethod"] = method
            else:
                event["requestContext"] = {
                    **event["requestContext"],
                    "http": {**event["requestContext"]["http"], "method": method},
                }
            events.append(json.dumps(event).encode())
    return events


def test_no_request_content_reaches_the_log(app):
    """The canary is quoted back to the caller in 14 answers (names, method, media type; never a
    value) and written to no log line: the log holds request ids, counts and error types only."""
    function = InProcessFunction()
    log = io.StringIO()
    answers = []
    with contextlib.redirect_stdout(log):
        for raw in canary_requests():
            answers.append(function.invoke(raw, "req-canary").payload.decode())
    lines = log.getvalue().splitlines()
    assert len(lines) == len(answers) == 19
    # Method and Content-Type are case-folded before they are quoted back.
    assert CANARY.lower() not in log.getvalue().lower()
    assert sum(CANARY.lower() in a.lower() for a in answers) == 14


def test_a_500_logs_the_trace_but_no_request_content(app, monkeypatch):
    def explode(rows):
        raise RuntimeError("backend failure")

    monkeypatch.setattr(app.MODEL, "predict", explode)
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        body = app.handler(
            {"features": [5.1, 3.5, 1.4, 0.2]}, SimpleNamespace(aws_request_id="req-500")
        )
    assert body["error"]["type"] == "InternalError"
    record = json.loads(log.getvalue())
    assert "backend failure" in record["traceback"]
    assert "5.1" not in record["traceback"] and "3.5" not in log.getvalue()


def test_corpus_is_large_enough_to_mean_something():
    assert len(load_cases()) >= 60
