"""Render a results document: Markdown for the repository, a rich table for the terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from tools.benchmarks.tables import Table, all_tables


def _markdown_table(table: Table) -> str:
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


def _load(machine: dict[str, Any]) -> str:
    """The 1-minute load average before and after: how busy the machine was meanwhile."""
    if "load_average_at_start" not in machine:
        return ""
    start = machine["load_average_at_start"][0]
    end = machine.get("load_average_at_end", [start])[0]
    return f" (1-min load average {start:.2f} at start, {end:.2f} at end)"


def render_markdown(results: dict[str, Any], chart_name: str | None = "chart.png") -> str:
    """The summary page: where and how it was measured, then every table, then the chart."""
    machine = results["machine"]
    parts = [
        f"# Benchmark results ({results['mode']})",
        "",
        f"Measured {results['created_utc']} on {machine['description']}{_load(machine)}.",
        "",
        "**Method.** " + " ".join(results["method"]),
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(results["versions"].items())) + ".",
    ]
    for table in all_tables(results):
        parts += ["", _markdown_table(table)]
    if chart_name:
        parts += ["", f"![benchmark chart]({chart_name})"]
    return "\n".join(parts) + "\n"


def print_tables(results: dict[str, Any], console: Console) -> None:
    """Every table on the terminal, targets first."""
    for table in all_tables(results):
        rich_table = RichTable(
            title=escape(table.title),
            title_justify="left",
            caption=escape(table.note) or None,
            caption_justify="left",
        )
        for column in table.header:
            rich_table.add_column(escape(column))
        for row in table.rows:
            style = "bold red" if table.key == "targets" and row[-1] == "NO" else None
            rich_table.add_row(*(escape(cell) for cell in row), style=style)
        console.print(rich_table)
