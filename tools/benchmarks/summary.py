"""Render a run: Markdown for the repository, rich tables for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from tools.benchmarks.results import BenchmarkRun, Machine, model_words
from tools.benchmarks.tables import Table, all_tables


def markdown_table(table: Table) -> str:
    """``### title``, the table, and its note."""
    lines = [
        f"### {table.title}",
        "",
        "| " + " | ".join(table.header) + " |",
        "|" + "---|" * len(table.header),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines)


def machine_line(machine: Machine) -> str:
    """The machine, and the 1-minute load average before and after: how busy it was."""
    if machine.load_at_start is None:
        return machine.description
    end = machine.load_at_end if machine.load_at_end is not None else machine.load_at_start
    return (
        f"{machine.description} (1-min load average {machine.load_at_start:.2f} at start, "
        f"{end:.2f} at end)"
    )


def render_markdown(run: BenchmarkRun, chart_name: str | None = "chart.png") -> str:
    """The summary page: where and how it was measured, then every table, then the chart."""
    measured = model_words(run.model, run.task)
    parts = [
        f"# Benchmark results ({run.kind}{', ' + measured if measured else ''})",
        "",
        f"Measured {run.created_utc} on {machine_line(run.machine)}.",
        "",
        f"**Method.** {run.method}",
    ]
    if run.versions:
        versions = ", ".join(f"{k} {v}" for k, v in sorted(run.versions.items()))
        parts += ["", f"Versions: {versions}."]
    parts += [part for table in all_tables(run) for part in ("", markdown_table(table))]
    if chart_name:
        parts += ["", f"![benchmark chart]({chart_name})"]
    return "\n".join(parts) + "\n"


def print_tables(run: BenchmarkRun, console: Console) -> None:
    """Every table on the terminal, targets first, missed targets in red."""
    measured = model_words(run.model, run.task)
    if measured:
        console.print(f"Measured: {escape(measured)}")
    for table in all_tables(run):
        rich_table = RichTable(
            title=escape(table.title),
            title_justify="left",
            caption=escape(table.note) or None,
            caption_justify="left",
        )
        for column in table.header:
            rich_table.add_column(escape(column))
        for row in table.rows:
            style = "bold red" if table.key == "targets" and row[2] == "NO" else None
            rich_table.add_row(*(escape(cell) for cell in row), style=style)
        console.print(rich_table)
