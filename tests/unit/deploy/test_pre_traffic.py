"""The pre-traffic hook: its probes, its verdicts on real and wrong answers, and its calls to
Lambda and CodeDeploy (against botocore's Stubber: offline, no credentials)."""

from __future__ import annotations

import base64
import copy
import json
import shutil

import boto3
import pytest
from botocore.stub import ANY, Stubber
from fixture_models import typed_classifier, typed_regressor
from hook_support import golden_card, handler_answers
from sam_support import ROOT, invoke_response

from onnx_serving.card import ANSWER_TOLERANCE, ModelCard, ModelCardError, reference
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model
from pre_traffic.checks import answer_problems, describe_problems
from pre_traffic.hook import check_version, load_samples, run_hook
from pre_traffic.probes import DESCRIBE, ERROR, GOLDEN, build_probes
from tools.deploy.smoke import smoke

VERSION = "arn:aws:lambda:us-east-1:123456789012:function:onnx-lambda-inference:7"
HOOK_EVENT = {"DeploymentId": "d-ABC123", "LifecycleEventHookExecutionId": "hook-execution-1"}
SAMPLES = load_samples(ROOT / "events")


@pytest.fixture(scope="module")
def card_json(app):
    return golden_card(app)


@pytest.fixture(scope="module")
def card(card_json):
    return ModelCard.from_dict(card_json)


@pytest.fixture(scope="module")
def probes(card):
    return build_probes(card, SAMPLES)


@pytest.fixture(scope="module")
def answers(probes):
    return handler_answers([probe.event for probe in probes])


def test_probes_cover_every_entry_point_with_exact_expectations(probes, card):
    rows = list(range(len(card.golden_rows)))
    summary = [(p.name, p.expect, p.http, p.rows, p.status, p.error_type) for p in probes]
    assert summary == [
        ("direct batch", GOLDEN, False, rows, 200, ""),
        ("direct row", GOLDEN, False, [0], 200, ""),
        ("direct named row", GOLDEN, False, [0], 200, ""),
        ("direct describe", DESCRIBE, False, [], 200, ""),
        ("direct, one value too many", ERROR, False, [], 400, "InvalidFeatures"),
        ("direct, wrong type", ERROR, False, [], 400, "InvalidFeatures"),
        ("direct, empty batch", ERROR, False, [], 400, "InvalidRequest"),
        ("alb (golden rows)", GOLDEN, True, rows, 200, ""),
        ("alb-multi-value (golden rows)", GOLDEN, True, rows, 200, ""),
        ("apigw-http-v2 (golden rows)", GOLDEN, True, rows, 200, ""),
        ("apigw-http-v2-get-model (GET)", DESCRIBE, True, [], 200, ""),
        ("apigw-rest-v1 (golden rows)", GOLDEN, True, rows, 200, ""),
        ("bad-request (golden rows)", GOLDEN, True, rows, 200, ""),
        ("function-url (golden rows)", GOLDEN, True, rows, 200, ""),
        ("HTTP, broken JSON", ERROR, True, [], 400, "InvalidJSON"),
        ("HTTP, DELETE", ERROR, True, [], 405, "MethodNotAllowed"),
        ("HTTP, text/plain", ERROR, True, [], 415, "UnsupportedMediaType"),
    ]


def test_http_probes_keep_the_envelope_and_carry_the_golden_rows(probes, card):
    url = next(p for p in probes if p.name == "function-url (golden rows)").event
    sample = SAMPLES["function-url"]
    assert url["requestContext"] == sample["requestContext"]
    assert url["isBase64Encoded"] is True
    body = json.loads(base64.b64decode(url["body"]))
    assert body == {"instances": [row["features"] for row in card.golden_rows]}
    named = next(p for p in probes if p.name == "direct named row").event
    first = dict(zip(card.feature_names, card.golden_rows[0]["features"], strict=True))
    assert named == {"features": first}


def test_the_real_handler_passes_every_probe(probes, card, answers):
    problems = [answer_problems(p, card, *a) for p, a in zip(probes, answers, strict=True)]
    assert problems == [[] for _ in probes]


def test_a_card_whose_golden_label_differs_fails_every_probe_holding_that_row(
    probes, card_json, answers
):
    changed = copy.deepcopy(card_json)
    golden = changed["golden_rows"][0]
    other = next(c for c in changed["classes"] if c != golden["label"])
    expected = (
        f"golden row 0 answered {golden['label']!r} where the reference model answered {other!r}"
    )
    golden["label"] = other
    wrong = ModelCard.from_dict(changed)
    found = [
        problem
        for probe, answer in zip(probes, answers, strict=True)
        for problem in answer_problems(probe, wrong, *answer)
    ]
    holding_row_0 = [p.name for p in probes if 0 in p.rows]
    assert found == [f"{name}: {expected}" for name in holding_row_0]
    assert len(found) == 9


def test_probabilities_may_differ_by_the_tolerance_plus_the_answers_rounding(probes, card):
    golden = card.golden_rows[0]
    name = card.classes[0]
    probe = next(p for p in probes if p.name == "direct row")

    def answer(shift: float) -> bytes:
        probabilities = {**golden["probabilities"], name: golden["probabilities"][name] + shift}
        prediction = {"label": golden["label"], "probabilities": probabilities}
        return json.dumps({"predictions": [prediction], "model": reference(card)}).encode()

    assert answer_problems(probe, card, answer(ANSWER_TOLERANCE * 0.99), None) == []
    assert answer_problems(probe, card, answer(-ANSWER_TOLERANCE * 0.99), None) == []
    too_far = answer_problems(probe, card, answer(ANSWER_TOLERANCE * 1.01), None)
    assert too_far == [
        f"direct row: golden row 0 answered probabilities up to {ANSWER_TOLERANCE * 1.01:.3g} "
        "from the reference model's (tolerance 1.05e-05)"
    ]


@pytest.mark.parametrize(
    ("probe_name", "answer", "problem"),
    [
        (
            "direct describe",
            {"model": {"name": "other"}},
            "name is 'other', the card says",
        ),
        ("direct, empty batch", {"predictions": []}, "expected a 400 error, got"),
        ("direct batch", {"error": {"status": 500}}, "no predictions in"),
        (
            "direct, one value too many",
            {"error": {"status": 400, "type": "InvalidRequest", "message": "x"}},
            "answered (400, 'InvalidRequest'), expected (400, 'InvalidFeatures')",
        ),
        (
            "HTTP, DELETE",
            {"statusCode": 400, "body": json.dumps({"error": {"status": 400, "type": "X"}})},
            "answered (400, 'X'), expected (405, 'MethodNotAllowed')",
        ),
        (
            "function-url (golden rows)",
            {"statusCode": 502, "body": "{}"},
            "HTTP 502, expected 200",
        ),
        ("apigw-rest-v1 (golden rows)", {"predictions": []}, "not an HTTP response"),
    ],
)
def test_a_wrong_answer_is_a_problem_naming_the_probe(probes, card, probe_name, answer, problem):
    probe = next(p for p in probes if p.name == probe_name)
    found = answer_problems(probe, card, json.dumps(answer).encode(), None)
    assert found and found[0].startswith(f"{probe_name}: {problem}")


def test_a_function_error_or_a_non_json_answer_fails_the_probe(probes, card):
    probe = probes[0]
    error = answer_problems(probe, card, b'{"errorType": "Runtime.ImportModuleError"}', "Unhandled")
    assert error == [
        'direct batch: function error Unhandled: b\'{"errorType": "Runtime.ImportModuleError"}\''
    ]
    assert answer_problems(probe, card, b"NaN]", None) == [
        "direct batch: the answer is not JSON: b'NaN]'"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("golden_rows"), "golden_rows must hold at least one row"),
        (lambda c: c.update(golden_rows=[]), "golden_rows must hold at least one row"),
        (lambda c: c["golden_rows"][1]["features"].pop(), "golden_rows[1].features must hold"),
        (lambda c: c["golden_rows"][0].update(label="nope"), "golden_rows[0].label 'nope' is not"),
        (lambda c: c["golden_rows"][2]["probabilities"].popitem(), "golden_rows[2].probabilities"),
        (lambda c: c.update(parity={}), "parity must record a positive tolerance"),
        (lambda c: c.pop("sha256"), "ModelCard.__init__() missing 1 required positional argument"),
        (lambda c: c.update(classes="setosa"), "classes must be a list"),
    ],
)
def test_a_card_the_hook_cannot_check_against_is_refused(card_json, change, message):
    broken = copy.deepcopy(card_json)
    change(broken)
    with pytest.raises(ModelCardError) as refused:
        ModelCard.from_dict(broken)
    assert str(refused.value).startswith(message)


# ---- The thin AWS layer: Lambda invokes of the version, the status report to CodeDeploy ----


@pytest.fixture
def package(tmp_path, card_json):
    """The hook's package as its Makefile lays it out: the card and the sample events."""
    (tmp_path / "model.json").write_text(json.dumps(card_json))
    shutil.copytree(ROOT / "events", tmp_path / "events")
    return tmp_path


def clients():
    keys = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
    return boto3.client("lambda", **keys), boto3.client("codedeploy", **keys)


def expect_status(stubber: Stubber, status: str) -> None:
    stubber.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": HOOK_EVENT["LifecycleEventHookExecutionId"]},
        {
            "deploymentId": HOOK_EVENT["DeploymentId"],
            "lifecycleEventHookExecutionId": HOOK_EVENT["LifecycleEventHookExecutionId"],
            "status": status,
        },
    )


def run_with(package, answers, status: str, capsys) -> dict:
    lambda_client, codedeploy = clients()
    with Stubber(lambda_client) as invokes, Stubber(codedeploy) as reports:
        for payload, function_error in answers:
            invokes.add_response(
                "invoke",
                invoke_response(payload, function_error),
                {"FunctionName": VERSION, "InvocationType": "RequestResponse", "Payload": ANY},
            )
        expect_status(reports, status)
        verdict = run_hook(HOOK_EVENT, lambda_client, codedeploy, VERSION, package)
        invokes.assert_no_pending_responses()
        reports.assert_no_pending_responses()
    assert json.loads(capsys.readouterr().out) == verdict
    return verdict


def test_a_version_answering_like_the_card_succeeds(package, answers, capsys):
    verdict = run_with(package, answers, "Succeeded", capsys)
    assert verdict == {"version": VERSION, "status": "Succeeded", "problems": []}


def test_one_wrong_answer_fails_the_deployment(package, answers, capsys):
    wrong = list(answers)
    wrong[3] = (b'{"model": {"name": "x"}}', None)
    verdict = run_with(package, wrong, "Failed", capsys)
    assert verdict["status"] == "Failed"
    assert verdict["problems"][0].startswith("direct describe: name is 'x', the card says")


def test_a_version_that_cannot_start_fails_the_deployment(package, probes, capsys):
    init_error = (b'{"errorType": "Runtime.Unknown", "errorMessage": "model.onnx: not found"}',)
    verdict = run_with(package, [(*init_error, "Unhandled")] * len(probes), "Failed", capsys)
    assert len(verdict["problems"]) == len(probes)
    assert all("function error Unhandled" in problem for problem in verdict["problems"])


def test_a_card_without_golden_rows_fails_without_invoking_anything(package, card_json, capsys):
    (package / "model.json").write_text(json.dumps({**card_json, "golden_rows": []}))
    verdict = run_with(package, [], "Failed", capsys)
    assert verdict["problems"] == [
        "the check could not run: ModelCardError: "
        f"{package / 'model.json'}: invalid model card: "
        "golden_rows must hold at least one row: convert the model again"
    ]


def test_an_invoke_refused_by_lambda_still_reports_failed(package, capsys):
    lambda_client, codedeploy = clients()
    with Stubber(lambda_client) as invokes, Stubber(codedeploy) as reports:
        invokes.add_client_error("invoke", "AccessDeniedException", "not allowed")
        expect_status(reports, "Failed")
        verdict = run_hook(HOOK_EVENT, lambda_client, codedeploy, VERSION, package)
        reports.assert_no_pending_responses()
    capsys.readouterr()
    assert verdict["problems"] == [
        "the check could not run: ClientError: An error occurred (AccessDeniedException) "
        "when calling the Invoke operation: not allowed"
    ]


def test_check_version_sends_every_probe_once_in_order(probes, card, answers):
    sent = []

    def invoke(event):
        sent.append(event)
        return answers[len(sent) - 1]

    assert check_version(probes, card, invoke) == []
    assert sent == [probe.event for probe in probes]


def test_the_release_smoke_test_sends_the_same_probes_to_the_alias(package, answers, capsys):
    alias = "arn:aws:lambda:us-east-1:123456789012:function:onnx-lambda-inference:live"
    keys = {"region_name": "us-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
    cloudformation = boto3.client("cloudformation", **keys)
    lambda_client = boto3.client("lambda", **keys)
    stack = {
        "StackName": "onnx-lambda",
        "CreationTime": "2026-11-30T00:00:00Z",
        "StackStatus": "UPDATE_COMPLETE",
        "Outputs": [{"OutputKey": "InferenceAliasArn", "OutputValue": alias}],
    }
    with Stubber(cloudformation) as stacks, Stubber(lambda_client) as invokes:
        stacks.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "onnx-lambda"})
        for payload, function_error in answers:
            invokes.add_response(
                "invoke",
                invoke_response(payload, function_error),
                {"FunctionName": alias, "InvocationType": "RequestResponse", "Payload": ANY},
            )
        problems = smoke(
            cloudformation, lambda_client, "onnx-lambda", package / "model.json", package / "events"
        )
        invokes.assert_no_pending_responses()
    assert problems == []


@pytest.mark.parametrize("typed", [typed_regressor, typed_classifier], ids=["regressor", "typed"])
def test_every_probe_passes_against_a_typed_model_served_by_the_handler(typed):
    """Probes built from a typed card (strings, nulls, a regressor's values) hold the handler to
    its golden rows through every sample envelope, and its refusals to their exact types."""
    model = load_model(typed().model_dir)
    probes = build_probes(model.card, SAMPLES)
    quiet = ServingSettings(log_requests=False)

    def invoke(event):
        return json.dumps(handle(event, None, model, quiet)).encode(), None

    wrong = next(p for p in probes if p.name == "direct, wrong type").event["features"][0]
    assert wrong == "0"
    assert check_version(probes, model.card, invoke) == []


def test_a_typed_description_must_repeat_the_columns():
    model = load_model(typed_regressor().model_dir)
    described = handle({"action": "describe"}, None, model, ServingSettings(log_requests=False))
    described["model"]["columns"][2]["categories"] = ["dry"]
    expected = model.card.public()["columns"]
    assert describe_problems(described, model.card) == [
        f"columns is {described['model']['columns']!r}, the card says {expected!r}"
    ]
