"""template.yaml and the Makefiles repeat the supported runtimes/arches as literals: they must agree
with ``layer.targets``, the one place the Python code reads them from."""

from __future__ import annotations

import re

import pytest
from sam_support import ROOT, load_template

from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME, LAMBDA_ARCHES, LAMBDA_RUNTIMES, host_arch
from tools.benchmarks import __main__ as benchmarks_main
from tools.local_lambda.function import FunctionConfig

MAKEFILES = ["Makefile", "layer/Makefile", "tools/baseline/layer/Makefile"]


def makefile_default(path: str, variable: str) -> str:
    """The value of ``VARIABLE ?= value`` in a Makefile; exactly one such line must exist."""
    found = re.findall(rf"^{variable} \?= (\S+)$", (ROOT / path).read_text(), flags=re.M)
    assert len(found) == 1, f"{path}: {variable} ?= ... appears {len(found)} times"
    return found[0]


def test_template_parameters_match_the_supported_targets():
    parameters = load_template(ROOT / "template.yaml")["Parameters"]
    assert parameters["Runtime"]["Default"] == DEFAULT_RUNTIME
    assert tuple(parameters["Runtime"]["AllowedValues"]) == LAMBDA_RUNTIMES
    assert parameters["Architecture"]["Default"] == DEFAULT_ARCH
    assert tuple(parameters["Architecture"]["AllowedValues"]) == LAMBDA_ARCHES


@pytest.mark.parametrize("makefile", MAKEFILES)
def test_makefile_defaults_match_the_template(makefile):
    assert makefile_default(makefile, "RUNTIME") == DEFAULT_RUNTIME
    assert makefile_default(makefile, "ARCH") == DEFAULT_ARCH


def test_local_runtime_defaults_to_the_template_runtime():
    assert FunctionConfig().runtime == DEFAULT_RUNTIME
    assert (DEFAULT_RUNTIME, DEFAULT_ARCH) == ("python3.13", "x86_64")


def test_local_benchmark_refuses_an_architecture_this_cpu_cannot_run(capsys):
    other = next(arch for arch in LAMBDA_ARCHES if arch != host_arch())
    with pytest.raises(SystemExit) as exit_info:
        benchmarks_main.main(["--arch", other, "--quick"])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message == (
        "python -m tools.benchmarks: error: "
        f"--arch {other}: local benchmarks run the layer on this "
        f"machine's CPU ({host_arch()}); measure {other} on AWS with make benchmark-aws"
    )
