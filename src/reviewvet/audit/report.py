"""Reports over the audit store: per agent, per model version, by month and by round,
and the comparison with the consolidators' own decisions. Queries are SQL, kept here as data."""

from __future__ import annotations

import base64
import html
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewvet.audit.store import Store
from reviewvet.errors import about
from reviewvet.output import output_folder, write_output

# One row per agent finding (its raw review, or the consolidated findings attributed to it),
# with everything the checks and rules found out about it.
_BASE = """
WITH af AS (
  SELECT a.agent, a.model, r.month, r.round, r.status AS review_status, f.*
  FROM agent_findings a
  JOIN findings f ON f.review_id = a.review_id AND f.finding_key = a.finding_key
  JOIN reviews r ON r.review_id = a.review_id
  WHERE f.section IN ('critical', 'important', 'suggestion')
),
q AS (
  SELECT review_id, finding_key,
         count(*) FILTER (WHERE kind = 'quote' AND status NOT IN ('not-checked')) AS quotes,
         count(*) FILTER (WHERE kind = 'quote' AND status IN ('exact', 'normalised', 'elided', 'reflowed')) AS verified,
         count(*) FILTER (WHERE kind = 'quote' AND status = 'near-miss') AS near_miss,
         count(*) FILTER (WHERE kind = 'quote' AND status IN ('absent', 'no-file')) AS absent,
         count(*) FILTER (WHERE kind = 'quote' AND status = 'other-file') AS wrong_path,
         count(*) FILTER (WHERE kind = 'line' AND status IN ('wrong', 'drifted', 'stale')) AS wrong_lines,
         count(*) FILTER (WHERE kind = 'symbol' AND status = 'nowhere') AS symbols_missing
  FROM claims GROUP BY review_id, finding_key
),
h AS (
  SELECT review_id, finding_key, bool_or(code = 'RV601') AS style
  FROM rule_hits GROUP BY review_id, finding_key
)
SELECT {group},
  count(*) AS findings,
  count(*) FILTER (WHERE claimed_severity = 'critical') AS critical,
  count(*) FILTER (WHERE claimed_severity = 'important') AS important,
  count(*) FILTER (WHERE claimed_severity = 'suggestion') AS suggestions,
  count(*) FILTER (WHERE review_status = 'verified') AS verified_findings,
  coalesce(sum(q.verified), 0) AS quotes_verified,
  coalesce(sum(q.near_miss), 0) AS near_miss,
  coalesce(sum(q.absent), 0) AS quotes_absent,
  coalesce(sum(q.wrong_path), 0) AS wrong_paths,
  coalesce(sum(q.wrong_lines), 0) AS wrong_lines,
  coalesce(sum(q.symbols_missing), 0) AS symbols_missing,
  count(*) FILTER (WHERE agreement = 'mislabelled') AS mislabelled,
  count(*) FILTER (WHERE h.style) AS style_contradictions,
  count(*) FILTER (WHERE false_positive) AS false_positives,
  round(100.0 * count(*) FILTER (WHERE false_positive)
        / nullif(count(*) FILTER (WHERE review_status = 'verified'), 0), 1) AS fp_rate_pct,
  count(*) FILTER (WHERE final_severity IS DISTINCT FROM claimed_severity) AS severity_changed,
  count(*) FILTER (WHERE unique_insight AND NOT false_positive) AS unique_findings,
  count(*) FILTER (WHERE len(shared_with) > 0) AS shared_findings
FROM af
LEFT JOIN q USING (review_id, finding_key)
LEFT JOIN h USING (review_id, finding_key)
GROUP BY {group}
ORDER BY {group}
"""

REPORTS = {
    "agent": _BASE.format(group="agent"),
    "model": _BASE.format(group="agent, model"),
    "month": _BASE.format(group="agent, month"),
    "round": _BASE.format(group="agent, round"),
}

CONSOLIDATOR = """
SELECT agent,
  count(*) FILTER (WHERE written NOT LIKE 'retro:%') AS items,
  count(*) FILTER (WHERE written NOT LIKE 'retro:%' AND link = 'unlinked') AS unlinked,
  count(*) FILTER (WHERE written NOT LIKE 'retro:%' AND agrees) AS agree,
  count(*) FILTER (WHERE written NOT LIKE 'retro:%' AND agrees = false) AS disagree,
  count(*) FILTER (WHERE written LIKE 'retro:%' AND agrees) AS summary_counts_agree,
  count(*) FILTER (WHERE written LIKE 'retro:%' AND agrees = false) AS summary_counts_disagree
FROM consolidator GROUP BY agent ORDER BY agent
"""

DISAGREEMENTS = """
SELECT r.source, c.agent, c.written, c.decision AS consolidator, c.reviewvet_decision AS reviewvet,
       c.linked_key, c.text
FROM consolidator c JOIN reviews r USING (review_id)
WHERE c.agrees = false OR c.link = 'unlinked'
ORDER BY r.source, c.written
"""


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[tuple[Any, ...]]


def tables(store: Store, by: list[str]) -> list[Table]:
    out = []
    for name in by:
        columns, rows = store.query(REPORTS[name])
        out.append(Table(f"per {name}", columns, rows))
    columns, rows = store.query(CONSOLIDATOR)
    out.append(Table("consolidator comparison", columns, rows))
    columns, rows = store.query(DISAGREEMENTS)
    out.append(Table("disagreements and unlinked reconciliation items", columns, rows))
    return out


def transposed(t: Table, groups: int = 1) -> Table:
    """Metrics as rows and groups as columns, as the reviews' own Summary tables are laid out."""
    heads = [" / ".join(str(v) for v in row[:groups]) for row in t.rows]
    rows = [(column.replace("_", " "), *(row[i] for row in t.rows)) for i, column in enumerate(t.columns)
            if i >= groups]
    return Table(t.title, ["metric", *heads], rows)


def render_terminal(found: list[Table], *, width: int = 160) -> str:
    from rich.console import Console
    from rich.table import Table as RichTable

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False)
    for t in found:
        if t.title.startswith("per ") and 0 < len(t.rows) <= 8 and len(t.columns) > 8:
            t = transposed(t, groups=sum(1 for c in t.columns[:2] if c in ("agent", "model", "month", "round")))
        table = RichTable(title=t.title, show_edge=False)
        for column in t.columns:
            table.add_column(column.replace("_", " "), overflow="fold")
        for row in t.rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
        console.print()
    return buffer.getvalue()


def render_markdown(found: list[Table]) -> str:
    out = ["# reviewvet audit", ""]
    for t in found:
        out += [f"## {t.title}", "", "| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
        out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in t.rows]
        out.append("")
    return "\n".join(out)


def _md(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


# -- charts ---------------------------------------------------------------------------------------


def charts(store: Store) -> dict[str, bytes]:
    """PNG charts: false-positive rate and kinds of error per agent; findings per month per agent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    out: dict[str, bytes] = {}
    columns, rows = store.query(REPORTS["agent"])
    data = [dict(zip(columns, r, strict=True)) for r in rows]
    if data:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        agents = [d["agent"] for d in data]
        kinds = [("quotes_absent", "hallucinated quotes"), ("near_miss", "near-miss quotes"),
                 ("wrong_paths", "wrong paths"), ("wrong_lines", "wrong lines"),
                 ("mislabelled", "regression/gap mislabelled"), ("style_contradictions", "style contradictions")]
        bottom = [0] * len(agents)
        for key, label in kinds:
            values = [int(d[key] or 0) for d in data]
            ax.bar(agents, values, bottom=bottom, label=label)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel("findings")
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_title("What reviewvet caught, per agent")
        ax.legend(fontsize="small")
        out["errors-per-agent.png"] = _png(fig, plt)
    columns, rows = store.query(REPORTS["month"])
    monthly = [dict(zip(columns, r, strict=True)) for r in rows if r[1]]
    if monthly:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for agent in sorted({d["agent"] for d in monthly}):
            points = sorted((d["month"], d["fp_rate_pct"] or 0.0) for d in monthly if d["agent"] == agent)
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=agent)
        ax.set_ylabel("false positives (% of verified findings)")
        ax.set_title("False-positive rate by month")
        ax.legend(fontsize="small")
        out["false-positive-rate-by-month.png"] = _png(fig, plt)
    return out


def _png(fig: Any, plt: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def html_page(found: list[Table], images: dict[str, bytes]) -> str:
    """One self-contained page: the tables and the charts (embedded as data URIs)."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>reviewvet audit</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
             "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f3f3f3}</style>",
             "</head><body><h1>reviewvet audit</h1>"]
    for name, data in images.items():
        encoded = base64.b64encode(data).decode()
        parts.append(f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{encoded}'></figure>")
    for t in found:
        parts.append(f"<h2>{html.escape(t.title)}</h2><table><tr>")
        parts += [f"<th>{html.escape(c)}</th>" for c in t.columns]
        parts.append("</tr>")
        for row in t.rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
                         + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def write_outputs(store: Store, found: list[Table], folder: Path, by: list[str]) -> list[Path]:
    """CSV and Parquet of each report, PNG charts and the HTML page, into ``folder``. Files of these
    names already there are replaced, each written whole or not at all (``reviewvet.output``).
    An OutputError is about the input ``output-folder``."""
    with about("output-folder"):
        output_folder(folder, option="output folder")
    written = []
    with tempfile.TemporaryDirectory(prefix="reviewvet-export-") as scratch:
        for name in by:
            for fmt in ("csv", "parquet"):
                target = folder / f"per-{name}.{fmt}"
                exported = Path(scratch) / target.name
                store.export(REPORTS[name].strip(), exported, fmt)
                written.append(_write(target, exported.read_bytes()))
    images = charts(store)
    for name, data in images.items():
        written.append(_write(folder / name, data))
    written.append(_write(folder / "audit.html", html_page(found, images)))
    return written


def _write(target: Path, data: str | bytes) -> Path:
    with about("output-folder"):
        write_output(target, data, option="report file")
    return target
