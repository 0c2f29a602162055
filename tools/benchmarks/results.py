"""What a benchmark run measured, as typed records: the one shape measuring hands to the tables,
the chart and the JSON file.

A run is written as JSON beside its summary so that the raw samples stay inspectable;
``from_json`` reads it back, so a recorded run renders to the same tables without measuring again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from onnx_serving.card import ModelCard

# CPU modes: one CPU of time with every CPU visible (a CFS quota, as Lambda below 1,769 MB),
# the machine free, or Lambda's own (an AWS run).
ONE_CPU = "one-cpu"
FREE = "free"
LAMBDA = "lambda"


@dataclass(frozen=True)
class ColdSample:
    """One cold start as Lambda's REPORT line would show it."""

    init_ms: float
    first_invoke_ms: float
    peak_rss_mb: float

    @property
    def total_ms(self) -> float:
        """Init + first invoke: what a cold caller waits for."""
        return self.init_ms + self.first_invoke_ms


@dataclass(frozen=True)
class ModeResults:
    """Cold starts and warm per-invoke durations (ms) per contender, in one CPU mode."""

    mode: str
    cold: dict[str, list[ColdSample]]
    warm_ms: dict[str, dict[str, list[float]]]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModeResults:
        """A mode as ``asdict`` wrote it."""
        cold = {name: [ColdSample(**s) for s in samples] for name, samples in data["cold"].items()}
        return cls(data["mode"], cold, data["warm_ms"])


@dataclass(frozen=True)
class PackageSizes:
    """Bytes of a contender's layer and function, unzipped and zipped."""

    layer_unzipped: int
    layer_zipped: int
    function_unzipped: int
    function_zipped: int

    @property
    def deployed_unzipped(self) -> int:
        """Function + layer, unzipped: what Lambda counts against 250 MB."""
        return self.layer_unzipped + self.function_unzipped


@dataclass(frozen=True)
class PairResults:
    """Another model measured as ONNX and as a pickle beside the served one, in the run's main
    CPU mode only and with fewer samples (``cold_starts`` and ``warm_rounds`` say how many)."""

    name: str
    description: str
    model: str
    task: str
    cold_starts: int
    warm_rounds: int
    measured: ModeResults
    sizes: dict[str, PackageSizes]
    # The pickle baseline's layer (``packages.BASELINE_LAYERS``): pandas in it or not.
    pickle_layer: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PairResults:
        """A pair as ``asdict`` wrote it."""
        return cls(
            **data
            | {
                "measured": ModeResults.from_dict(data["measured"]),
                "sizes": {name: PackageSizes(**s) for name, s in data["sizes"].items()},
            }
        )


@dataclass(frozen=True)
class Machine:
    """Where a run was measured, and how busy the machine was (1-min load average) meanwhile."""

    description: str
    load_at_start: float | None = None
    load_at_end: float | None = None


@dataclass(frozen=True)
class BenchmarkRun:
    """A local or AWS run: its modes (the main one first), sizes where the packages are local."""

    kind: str
    created_utc: str
    machine: Machine
    method: str
    versions: dict[str, str]
    modes: list[ModeResults]
    visible_cpus: int | None = None
    cpu_note: str = ""
    sizes: dict[str, PackageSizes] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # The model measured, as its card names it ("<name> <version>") and its task; empty in a
    # run stored before runs named their model.
    model: str = ""
    task: str = ""
    # Bytes of a warm log line per request case: {"without": n, "with_metrics": n}.
    log_lines: dict[str, dict[str, int]] = field(default_factory=dict)
    # Other models measured as ONNX and as a pickle in the same run; none in a run stored
    # before runs measured them, or run without them.
    pairs: list[PairResults] = field(default_factory=list)

    @property
    def main(self) -> ModeResults:
        """The mode targets are judged in: one CPU of time where it could be set."""
        return self.modes[0]

    def to_json(self) -> str:
        """The whole run, raw samples included."""
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BenchmarkRun:
        """A run written by ``to_json``."""
        data = json.loads(text)
        return cls(
            **data
            | {
                "machine": Machine(**data["machine"]),
                "modes": [ModeResults.from_dict(mode) for mode in data["modes"]],
                "sizes": {name: PackageSizes(**s) for name, s in data["sizes"].items()},
                "pairs": [PairResults.from_dict(pair) for pair in data.get("pairs", [])],
            }
        )


@dataclass(frozen=True)
class BatchSample:
    """One cold process scoring the whole file."""

    seconds: float
    rows_per_second: float
    megabytes_per_second: float
    rows_per_cpu_second: float
    peak_rss_mb: float
    init_ms: float


@dataclass(frozen=True)
class CeilingSample:
    """One fresh process running a backend's model alone over the file's parsed rows: the CPU
    and wall seconds of the runs."""

    cpu_seconds: float
    seconds: float
    rows_per_cpu_second: float


@dataclass(frozen=True)
class BatchRun:
    """Batch scoring of one file by each contender, per CPU mode; each backend's model alone on
    the same rows (``ceiling``, by backend) per CPU mode; each contender's package sizes."""

    created_utc: str
    machine: Machine
    versions: dict[str, str]
    rows: int
    file_bytes: int
    model: str
    rounds: int
    samples: dict[str, dict[str, list[BatchSample]]]
    ceiling: dict[str, dict[str, list[CeilingSample]]]
    sizes: dict[str, PackageSizes]
    # The rows every contender reads at a time and the ceiling runs at a time.
    chunk_rows: int
    task: str = ""

    def to_json(self) -> str:
        """The whole run, raw samples included."""
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BatchRun:
        """A run written by ``to_json``; a run recorded before the ceiling and the sizes were
        measured is refused, since its table would lack them."""
        data = json.loads(text)
        missing = sorted({"ceiling", "sizes", "chunk_rows"} - data.keys())
        if missing:
            raise ValueError(
                f"a batch run recorded without {', '.join(missing)}: "
                "measure it again with make benchmark-batch"
            )
        return cls(
            **data
            | {
                "machine": Machine(**data["machine"]),
                "samples": _by_mode_and_name(data["samples"], BatchSample),
                "ceiling": _by_mode_and_name(data["ceiling"], CeilingSample),
                "sizes": {name: PackageSizes(**s) for name, s in data["sizes"].items()},
            }
        )


SampleT = TypeVar("SampleT", "BatchSample", "CeilingSample")


def _by_mode_and_name(
    data: dict[str, dict[str, list[dict[str, Any]]]], kind: type[SampleT]
) -> dict[str, dict[str, list[SampleT]]]:
    """Recorded samples, per CPU mode and contender, read back as ``kind``."""
    return {
        mode: {name: [kind(**sample) for sample in runs] for name, runs in by_name.items()}
        for mode, by_name in data.items()
    }


def model_measured(card: ModelCard) -> tuple[str, str]:
    """How a run names the model it measured: ``"<name> <version>"`` and its task."""
    return f"{card.name} {card.version}", card.task


def model_words(model: str, task: str) -> str:
    """The model in a title: ``model iris-forest 1 (classifier)``; "" for a run that did not
    record it."""
    if not model:
        return ""
    return f"model {model}" + (f" ({task})" if task else "")
