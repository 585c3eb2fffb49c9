"""The audit report's charts (the ``[charts]`` extra: matplotlib). Rates are normalised by each
agent's verified findings, axes start at zero, small samples are marked, and a month without
verified findings is a gap, never a 0."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewvet.audit.rates import Rate

SMALL_SAMPLE = 10  # fewer verified findings than this: marked as a small sample
Result = tuple[list[str], Sequence[tuple[Any, ...]]]  # a report's columns and rows


_KINDS = (("quotes_absent", "hallucinated quotes"), ("near_miss", "near-miss quotes"),
          ("wrong_paths", "wrong paths"), ("wrong_lines", "wrong lines"),
          ("mislabelled", "regression/gap mislabelled"), ("style_contradictions", "style contradictions"))


@dataclass(frozen=True)
class MonthSeries:
    """Each agent's false-positive rate in every month from the first to the last: None where
    the agent has no verified finding that month (a gap in the chart, never 0)."""

    months: list[str]
    rates: dict[str, list[Rate | None]]


def month_series(columns: list[str], rows: Sequence[tuple[Any, ...]]) -> MonthSeries:
    data = [dict(zip(columns, r, strict=True)) for r in rows if r[columns.index("month")]]
    months = _months_between(sorted({str(d["month"]) for d in data}))
    rates: dict[str, list[Rate | None]] = {}
    for agent in sorted({str(d["agent"]) for d in data}):
        got = {str(d["month"]): Rate(int(d["false_positives"]), int(d["verified_findings"]))
               for d in data if d["agent"] == agent and d["verified_findings"]}
        if got:
            rates[agent] = [got.get(m) for m in months]
    return MonthSeries(months, rates)


def _months_between(months: list[str]) -> list[str]:
    """Every month from the first to the last (those with no review too), or the months as they
    are when they are not all YYYY-MM."""
    if not months or not all(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m) for m in months):
        return months
    year, month = int(months[0][:4]), int(months[0][5:])
    out = []
    while f"{year:04d}-{month:02d}" <= months[-1]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def figures(per_agent: Result, per_month: Result) -> dict[str, Any]:
    """The charts of the per-agent and per-month reports (columns, rows) as matplotlib figures
    (the caller closes them); only those with data to show."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, Any] = {}
    columns, rows = per_agent
    data = [d for d in (dict(zip(columns, r, strict=True)) for r in rows) if d["verified_findings"]]
    if data:
        out["errors-per-agent.png"] = _errors_figure(plt, data)
    series = month_series(*per_month)
    if series.rates:
        out["false-positive-rate-by-month.png"] = _months_figure(plt, series)
    return out


def pngs(per_agent: Result, per_month: Result) -> dict[str, bytes]:
    """The charts as PNG files: kinds of error per 100 verified findings of each agent; the
    false-positive rate by month of each agent."""
    import matplotlib.pyplot as plt

    return {name: _png(fig, plt) for name, fig in figures(per_agent, per_month).items()}


def _errors_figure(plt: Any, data: list[dict[str, Any]]) -> Any:
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(9, 4.8))
    width, highest, handles = 0.8 / len(_KINDS), 0.0, []
    for i, (key, name) in enumerate(_KINDS):
        values = [100 * int(d[key] or 0) / int(d["verified_findings"]) for d in data]
        highest = max(highest, *values)
        bars = ax.bar([j + (i - (len(_KINDS) - 1) / 2) * width for j in range(len(data))], values, width)
        handles.append(Patch(facecolor=bars.patches[0].get_facecolor(), label=name))  # the legend is not hatched
        for bar, d in zip(bars, data, strict=True):
            if d["verified_findings"] < SMALL_SAMPLE:
                bar.set_hatch("//")
                bar.set_edgecolor("black")
    ax.set_xticks(range(len(data)), [f"{d['agent']}\n(n = {d['verified_findings']})" for d in data])
    ax.set_ylim(0, max(1.0, highest * 1.1))
    ax.set_ylabel("per 100 verified findings")
    ax.set_title("What reviewvet caught, per 100 verified findings of each agent")
    handles.append(Patch(facecolor="white", edgecolor="black", hatch="//",
                         label=f"hatched: fewer than {SMALL_SAMPLE} verified findings"))
    ax.legend(handles=handles, fontsize="small")
    return fig


def _months_figure(plt: Any, series: MonthSeries) -> Any:
    from matplotlib.lines import Line2D

    fig, ax = plt.subplots(figsize=(9, 4.8))
    x = list(range(len(series.months)))
    for agent, rates in series.rates.items():
        y = [_percent(r) for r in rates]
        (line,) = ax.plot(x, y, label=agent)  # a NaN breaks the line: a month without data is a gap
        colour = line.get_color()
        big = [v if r is not None and r.n >= SMALL_SAMPLE else math.nan for v, r in zip(y, rates, strict=True)]
        small = [v if r is not None and r.n < SMALL_SAMPLE else math.nan for v, r in zip(y, rates, strict=True)]
        ax.plot(x, big, linestyle="none", marker="o", color=colour)
        ax.plot(x, small, linestyle="none", marker="o", markerfacecolor="white", markeredgecolor=colour)
        shown = [(i, r.interval) for i, r in enumerate(rates) if r is not None and r.interval is not None]
        ax.vlines([i for i, _ in shown], [100 * ci[0] for _, ci in shown], [100 * ci[1] for _, ci in shown],
                  colors=colour, alpha=0.35)
    ax.set_xticks(x, series.months, rotation=45, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("false positives (% of verified findings)")
    ax.set_title("False-positive rate by month (bars: 95% Wilson interval; gaps: no verified findings)")
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor="grey",
                          label=f"hollow: fewer than {SMALL_SAMPLE} verified findings that month"))
    ax.legend(handles=handles, fontsize="small")
    return fig


def _percent(rate: Rate | None) -> float:
    return math.nan if rate is None or rate.rate is None else 100 * rate.rate


def _png(fig: Any, plt: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()
