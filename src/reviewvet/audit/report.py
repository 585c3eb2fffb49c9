"""Reports over the audit store: per agent, per model version, by month and by round,
the comparison with the consolidators' own decisions, and, when findings were challenged,
what came of the challenges. Queries are SQL, kept here as data.

Every output states its sample first (the reviews found, how many were verified at the
reviewed head, at a substitute or user-given head, and why the others were not), each table
says which findings it counts, and every rate comes with its counts and a 95 % Wilson score
interval; a rate over nothing is no rate at all, never 0 %."""

from __future__ import annotations

import base64
import html
import io
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewvet.audit import charts
from reviewvet.audit.rates import Z, Rate
from reviewvet.audit.store import Store
from reviewvet.errors import about
from reviewvet.output import output_folder, write_output

CHARTS_NOTE = ("Charts are left out: matplotlib is not installed. Install reviewvet[charts] for charts "
               "(pip install 'reviewvet[charts]').")

# One row per agent finding (its raw review, or the consolidated findings attributed to it),
# with everything the checks and rules found out about it.
_BASE = """
WITH af AS (
  SELECT a.agent, a.model, r.month, r.round, r.status AS review_status, r.head_evidence, f.*
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
  count(*) FILTER (WHERE review_status = 'verified' AND head_evidence = 'reviewed-head') AS at_reviewed_head,
  count(*) FILTER (WHERE review_status = 'verified' AND head_evidence = 'substitute-head') AS at_substitute_head,
  count(*) FILTER (WHERE review_status = 'verified' AND head_evidence = 'user-given-head') AS at_user_given_head,
  coalesce(sum(q.verified), 0) AS quotes_verified,
  coalesce(sum(q.near_miss), 0) AS near_miss,
  coalesce(sum(q.absent), 0) AS quotes_absent,
  coalesce(sum(q.wrong_path), 0) AS wrong_paths,
  coalesce(sum(q.wrong_lines), 0) AS wrong_lines,
  coalesce(sum(q.symbols_missing), 0) AS symbols_missing,
  count(*) FILTER (WHERE agreement = 'mislabelled') AS mislabelled,
  count(*) FILTER (WHERE h.style) AS style_contradictions,
  count(*) FILTER (WHERE review_status = 'verified' AND false_positive) AS false_positives,
  count(*) FILTER (WHERE review_status = 'verified' AND verdict = 'refuted') AS refuted,
  count(*) FILTER (WHERE final_severity IS DISTINCT FROM claimed_severity) AS severity_changed,
  count(*) FILTER (WHERE unique_insight AND NOT false_positive) AS unique_findings,
  count(*) FILTER (WHERE len(shared_with) > 0) AS shared_findings
FROM af
LEFT JOIN q USING (review_id, finding_key)
LEFT JOIN h USING (review_id, finding_key)
GROUP BY {group}
ORDER BY {group}
"""

GROUPS = {"agent": "agent", "model": "agent, model", "month": "agent, month", "round": "agent, round"}
REPORTS = {name: _BASE.format(group=group) for name, group in GROUPS.items()}

# The rates of the grouped reports: (column, counted column k, out of column n).
RATES = (("fp_rate", "false_positives", "verified_findings"),
         ("refuted_rate", "refuted", "verified_findings"))

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

CONSOLIDATOR_REVIEWS = """
SELECT r.status, count(DISTINCT c.review_id), count(*) FROM consolidator c JOIN reviews r USING (review_id)
GROUP BY r.status
"""

# Challenged findings, once for each agent they belong to (a challenge attributed to none: "unattributed").
CHALLENGES_PER_AGENT = """
WITH c AS (
  SELECT unnest(CASE WHEN len(coalesce(agents, [])) = 0 THEN ['unattributed'] ELSE agents END) AS agent,
         outcome, survived
  FROM challenges
)
SELECT agent,
  count(*) AS challenged,
  count(*) FILTER (WHERE outcome = 'withdraw') AS withdrawn,
  count(*) FILTER (WHERE outcome = 'amend') AS amended,
  count(*) FILTER (WHERE outcome = 'defend') AS defended,
  count(*) FILTER (WHERE outcome = 'failed') AS failed,
  count(*) FILTER (WHERE outcome <> 'failed') AS answered,
  count(*) FILTER (WHERE survived) AS survived
FROM c GROUP BY agent ORDER BY agent
"""

# Every challenge once, by the model asked.
CHALLENGES_PER_MODEL = """
SELECT provider, model,
  count(*) AS challenges,
  count(*) FILTER (WHERE outcome <> 'failed') AS answered,
  count(*) FILTER (WHERE survived) AS survived,
  sum(input_tokens) AS input_tokens,
  sum(output_tokens) AS output_tokens,
  count(cost_usd) AS priced,
  round(sum(cost_usd), 6) AS cost_usd,
  round(sum(seconds), 2) AS seconds
FROM challenges GROUP BY provider, model ORDER BY provider, model
"""

# What the two challenge tables count, stated under each.
CHALLENGES_NOTE = ("Findings the checks refuted or left doubtful (or the rules judged false positives) that were sent "
                   "back to a model with their evidence, each counted once for each agent it belongs to: its raw "
                   "review's author, or the agents a consolidated finding is attributed to. A finding survived when "
                   "the claim it was amended or defended with verified as confirmed. The survival rate is survived / "
                   "answered, as rate (k/n, 95% CI) with the Wilson score interval; — where n is 0.")
CHALLENGE_COST_NOTE = ("Every challenge once, by the model asked. Tokens as the provider counted them; the cost sums "
                       "the priced challenges only (a model of unknown price has none).")

# Each review once, with the number of findings the grouped reports count for it.
SAMPLE = """
WITH counted AS (
  SELECT a.review_id, count(*) AS findings
  FROM agent_findings a JOIN findings f ON f.review_id = a.review_id AND f.finding_key = a.finding_key
  WHERE f.section IN ('critical', 'important', 'suggestion')
  GROUP BY a.review_id
)
SELECT r.status, r.head_evidence, r.reason, {how} AS head_how, count(*) AS reviews,
       coalesce(sum(counted.findings), 0) AS findings
FROM reviews r LEFT JOIN counted USING (review_id)
GROUP BY ALL
"""

_HAS_HEAD_HOW = """
SELECT count(*) FROM duckdb_columns()
WHERE database_name = current_database() AND table_name = 'reviews' AND column_name = 'head_how'
"""

HEADS = (("reviewed-head", "verified at the reviewed head"), ("substitute-head", "verified at a substitute head"),
         ("user-given-head", "verified at a user-given head"))
HEAD_HOW = {"review": "the review's own commits", "pr-ref": "the pull request's ref",
            "subjects": "matching commit subjects", "branch": "the review's branch", "map": "the mapping file",
            "unrecorded": "a way not recorded"}

# Readable names and short definitions of the columns, for the HTML page and the Markdown notes.
DEFINITIONS: dict[str, tuple[str, str]] = {
    "population": ("Population", "which reviews a row counts"),
    "reviews": ("Reviews", "reviews in the store"),
    "findings": ("Findings", "critical, important and suggestion findings, counted once for each agent they "
                             "belong to (verified or not)"),
    "critical": ("Critical", "findings the reviewer called critical"),
    "important": ("Important", "findings the reviewer called important"),
    "suggestions": ("Suggestions", "findings the reviewer called suggestions"),
    "verified_findings": ("Verified findings", "findings of reviews verified against the repository: the n of "
                                               "every rate"),
    "at_reviewed_head": ("At reviewed head", "verified findings of reviews verified at the head they reviewed"),
    "at_substitute_head": ("At substitute head", "verified findings of reviews verified at another head, "
                                                 "their own being missing"),
    "at_user_given_head": ("At user-given head", "verified findings of reviews that name no head, verified at "
                                                 "the one given"),
    "quotes_verified": ("Quotes verified", "quoted code found as written (exactly or up to whitespace, elision "
                                           "or reflow)"),
    "near_miss": ("Near-miss quotes", "quoted code that almost matches the file"),
    "quotes_absent": ("Quotes absent", "quoted code not in the file, or the file does not exist"),
    "wrong_paths": ("Wrong paths", "quoted code found, but in another file than the one named"),
    "wrong_lines": ("Wrong lines", "line references that are wrong, drifted or stale"),
    "symbols_missing": ("Symbols missing", "names the finding cites that exist nowhere in the repository"),
    "mislabelled": ("Regression/gap mislabelled", "findings whose regression or gap label the history contradicts"),
    "style_contradictions": ("Style contradictions", "findings asking for what the project's conventions forbid"),
    "false_positives": ("False positives", "verified findings the rules judge false positives"),
    "refuted": ("Refuted", "verified findings a check is certain are wrong"),
    "severity_changed": ("Severity changed", "findings whose severity the rules changed"),
    "unique_findings": ("Unique findings", "findings no other agent made, false positives left out"),
    "shared_findings": ("Shared findings", "findings another agent made too"),
    "fp_rate": ("False-positive rate", "false positives / verified findings, with counts and a 95 % Wilson "
                                       "interval; — where there is no verified finding"),
    "refuted_rate": ("Refuted rate", "refuted / verified findings, with counts and a 95 % Wilson interval; — where "
                                     "there is no verified finding"),
    "items": ("Items", "the consolidator's reconciliation items"),
    "unlinked": ("Unlinked", "items no finding could be linked to"),
    "agree": ("Agree", "items where the consolidator and reviewvet decided alike"),
    "disagree": ("Disagree", "items where they decided differently"),
    "summary_counts_agree": ("Summary counts agree", "retro Summary table counts reviewvet agrees with"),
    "summary_counts_disagree": ("Summary counts disagree", "retro Summary table counts reviewvet does not "
                                                           "agree with"),
    "challenged": ("Challenged", "refuted, doubtful or false-positive findings sent back to a model with their "
                                 "evidence"),
    "withdrawn": ("Withdrawn", "challenges the model answered by withdrawing the finding"),
    "amended": ("Amended", "challenges answered with a corrected place, quote or label"),
    "defended": ("Defended", "challenges answered with a quote that supports the finding as written"),
    "failed": ("Failed", "challenges the model could not be asked, or did not answer as asked"),
    "answered": ("Answered", "challenges withdrawn, amended or defended: the n of the survival rate"),
    "survived": ("Survived", "amended or defended findings whose new claim verified as confirmed"),
    "survival_rate": ("Survival rate", "survived / answered, with counts and a 95 % Wilson interval; — where no "
                                       "challenge was answered"),
    "challenges": ("Challenges", "challenges put to the model"),
    "input_tokens": ("Input tokens", "tokens the model read, as its provider counted them"),
    "output_tokens": ("Output tokens", "tokens the model wrote"),
    "priced": ("Priced", "challenges whose cost is known (the model's price is known)"),
    "cost_usd": ("Cost (USD)", "the cost of the priced challenges"),
    "seconds": ("Seconds", "time spent asking and verifying again"),
    "consolidator": ("Consolidator", "what the consolidator decided"),
    "reviewvet": ("reviewvet", "what reviewvet decided"),
}


def _rate_sql(k: str, n: str, name: str) -> str:
    """The same rate and interval as :class:`Rate`, as SQL columns of the CSV and Parquet files."""
    k, n, z2 = f"{k}::DOUBLE", f"{n}::DOUBLE", Z * Z
    spread = f"{Z} * sqrt({k} * ({n} - {k}) / {n} + {z2 / 4})"
    return (f"CASE WHEN {n} > 0 THEN {k} / {n} END AS {name}, "
            f"CASE WHEN {n} > 0 THEN greatest(0, ({k} + {z2 / 2} - {spread}) / ({n} + {z2})) END AS {name}_ci_low, "
            f"CASE WHEN {n} > 0 THEN least(1, ({k} + {z2 / 2} + {spread}) / ({n} + {z2})) END AS {name}_ci_high")


def export_sql(name: str) -> str:
    """A grouped report with its rates and their 95 % intervals, as the CSV and Parquet files hold it."""
    rates = ", ".join(_rate_sql(k, n, column) for column, k, n in RATES)
    return f"SELECT *, {rates} FROM ({REPORTS[name].strip()}) ORDER BY {GROUPS[name]}"


# -- tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    note: str = ""  # which findings or reviews the table counts
    data: dict[str, Any] = field(default_factory=dict)  # more for the JSON output (the sample's counts)


@dataclass(frozen=True)
class Sample:
    """Who is counted: every review of the store, by what became of it."""

    rows: list[tuple[Any, ...]]  # (status, head evidence, reason, head how, reviews, findings)
    with_head_how: bool

    def total(self, keep: Callable[[tuple[Any, ...]], bool] | None = None) -> tuple[int, int]:
        chosen = [r for r in self.rows if keep is None or keep(r)]
        return sum(int(r[4]) for r in chosen), sum(int(r[5]) for r in chosen)

    def by(self, index: int, status: str, name: Callable[[Any], str]) -> dict[str, tuple[int, int]]:
        """(reviews, findings) of the reviews of ``status``, by ``name`` of their value at ``index``."""
        out: dict[str, tuple[int, int]] = {}
        for row in self.rows:
            if row[0] == status:
                reviews, findings = out.get(name(row[index]), (0, 0))
                out[name(row[index])] = reviews + int(row[4]), findings + int(row[5])
        return dict(sorted(out.items()))


def read_sample(store: Store) -> Sample:
    _, found = store.query(_HAS_HEAD_HOW)
    with_how = bool(found and found[0][0])
    _, rows = store.query(SAMPLE.format(how="r.head_how" if with_how else "NULL"))
    return Sample(rows, with_how)


def reason_kind(reason: str | None) -> str:
    """A reason without the values that make every review's own (quoted names, commit ids)."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "…", reason or "no reason recorded")
    return re.sub(r"\((?:[0-9a-f]{7,40}(?:, )?)+\)", "(…)", text)


def _heads(sample: Sample) -> dict[str, tuple[int, int]]:
    return sample.by(1, "verified", lambda v: v or "unrecorded")


def sample_table(sample: Sample) -> Table:
    heads = _heads(sample)
    rows: list[tuple[Any, ...]] = [("reviews found", *sample.total())]
    rows += [(label, *heads.get(key, (0, 0))) for key, label in HEADS]
    if "unrecorded" in heads:
        rows.append(("verified, head evidence not recorded", *heads["unrecorded"]))
    if sample.with_head_how:
        rows += [(f"verified, head from {HEAD_HOW.get(how, how)}", *counts)
                 for how, counts in sample.by(3, "verified", lambda v: v or "unrecorded").items()]
    reasons = sample.by(2, "unverified", reason_kind)
    rows.append(("unverified", *sample.total(lambda r: r[0] == "unverified")))
    rows += [(f"unverified: {reason}", *counts) for reason, counts in reasons.items()]
    note = ("Every review in the store, by what became of it. Only verified reviews' findings are checked: "
            "the rates below count those alone. Reviews skipped at ingest are not in the store.")
    return Table("sample", ["population", "reviews", "findings"], rows, note, {"sample": _sample_data(sample)})


def _sample_data(sample: Sample) -> dict[str, Any]:
    def pair(counts: tuple[int, int]) -> dict[str, int]:
        return {"reviews": counts[0], "findings": counts[1]}

    reviews, findings = sample.total()
    heads = {key: pair(_heads(sample).get(key, (0, 0))) for key, _ in HEADS}
    unverified = sample.total(lambda r: r[0] == "unverified")
    reasons = [{"reason": reason, **pair(c)} for reason, c in sample.by(2, "unverified", reason_kind).items()]
    how = ({key: pair(c) for key, c in sample.by(3, "verified", lambda v: v or "unrecorded").items()}
           if sample.with_head_how else None)
    return {"reviews": reviews, "findings": findings, "verified": heads, "head_how": how,
            "unverified": {**pair(unverified), "reasons": reasons}}


def tables(store: Store, by: list[str]) -> list[Table]:
    out = [sample_table(read_sample(store))]
    for name in by:
        columns, rows = store.query(REPORTS[name])
        out.append(with_rates(Table(f"per {name}", columns, rows, _findings_note(columns, rows))))
    note = _consolidator_note(store)
    columns, rows = store.query(CONSOLIDATOR)
    out.append(Table("consolidator comparison", columns, rows, note))
    columns, rows = store.query(DISAGREEMENTS)
    out.append(Table("disagreements and unlinked reconciliation items", columns, rows, note))
    return out + challenge_tables(store)


def challenge_tables(store: Store) -> list[Table]:
    """What came of the challenged findings, per agent (with the survival rate) and per model (with
    tokens and cost); nothing when no finding in the store was challenged (or the store predates them)."""
    if not store.has_table("challenges"):
        return []
    columns, rows = store.query(CHALLENGES_PER_AGENT)
    if not rows:
        return []
    at = {c: i for i, c in enumerate(columns)}
    rated = [(*row, Rate(int(row[at["survived"]]), int(row[at["answered"]]))) for row in rows]
    agents = Table("challenges per agent", [*columns, "survival_rate"], rated, CHALLENGES_NOTE)
    columns, rows = store.query(CHALLENGES_PER_MODEL)
    return [agents, Table("challenges per model", columns, rows, CHALLENGE_COST_NOTE)]


def with_rates(t: Table) -> Table:
    """The table with a :class:`Rate` column for each of :data:`RATES`."""
    at = {c: i for i, c in enumerate(t.columns)}
    rows = [(*row, *(Rate(int(row[at[k]]), int(row[at[n]])) for _, k, n in RATES)) for row in t.rows]
    return Table(t.title, [*t.columns, *(c for c, _, _ in RATES)], rows, t.note, t.data)


def _findings_note(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    def total(key: str) -> int:
        return sum(int(r[columns.index(key)] or 0) for r in rows)

    found, verified = total("findings"), total("verified_findings")
    reviewed, substitute, given = total("at_reviewed_head"), total("at_substitute_head"), total("at_user_given_head")
    note = (f"{found} findings: {verified} of verified reviews ({reviewed} at the reviewed head, {substitute} at a "
            f"substitute head, {given} at a user-given head), {found - verified} of unverified reviews. Rates count "
            "verified findings only, as rate (k/n, 95% CI) with the Wilson score interval; — where n is 0.")
    if reviewed and (substitute or given):
        note += (" These rows mix reviews verified at the reviewed head with reviews verified at another head; "
                 "the columns at reviewed head, at substitute head and at user-given head give each row's split.")
    return note


def _consolidator_note(store: Store) -> str:
    _, rows = store.query(CONSOLIDATOR_REVIEWS)
    by = {status: (int(reviews), int(items)) for status, reviews, items in rows}
    verified, unverified = by.get("verified", (0, 0)), by.get("unverified", (0, 0))
    return (f"Items of {verified[0]} verified reviews ({verified[1]} items) and {unverified[0]} unverified reviews "
            f"({unverified[1]} items); reviewvet's decisions, and so agreement, exist for verified reviews only.")


def transposed(t: Table, groups: int = 1) -> Table:
    """Metrics as rows and groups as columns, as the reviews' own Summary tables are laid out."""
    heads = [" / ".join(str(v) for v in row[:groups]) for row in t.rows]
    rows = [(column.replace("_", " "), *(row[i] for row in t.rows)) for i, column in enumerate(t.columns)
            if i >= groups]
    return Table(t.title, ["metric", *heads], rows, t.note, t.data)


def label(column: str) -> str:
    return DEFINITIONS[column][0] if column in DEFINITIONS else column.replace("_", " ").capitalize()


def definitions(columns: Iterable[str]) -> list[tuple[str, str, str]]:
    """(column, readable name, definition) of each column that has one."""
    return [(c, *DEFINITIONS[c]) for c in dict.fromkeys(columns) if c in DEFINITIONS]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# -- formats --------------------------------------------------------------------------------------


def render_terminal(found: list[Table], *, width: int = 160) -> str:
    from rich.console import Console
    from rich.table import Table as RichTable

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False)
    for t in found:
        if t.title.startswith("per ") and 0 < len(t.rows) <= 8 and len(t.columns) > 8:
            t = transposed(t, groups=sum(1 for c in t.columns[:2] if c in GROUPS))
        table = RichTable(title=t.title, show_edge=False)
        for column in t.columns:
            table.add_column(column.replace("_", " "), overflow="fold")
        for row in t.rows:
            table.add_row(*(_text(v) for v in row))
        console.print(table)
        if t.note:
            console.print(t.note)
        console.print()
    return buffer.getvalue()


def render_markdown(found: list[Table]) -> str:
    out = ["# reviewvet audit", ""]
    for t in found:
        out += [f"## {t.title}", ""] + ([_md(t.note), ""] if t.note else [])
        out += ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
        out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in t.rows]
        out.append("")
        defined = definitions(t.columns)
        if defined:
            out += [f"- `{c}` ({_md(name)}): {_md(text)}" for c, name, text in defined] + [""]
    return "\n".join(out)


def _md(value: Any) -> str:
    return _text(value).replace("|", "\\|").replace("\n", " ")


def json_data(found: list[Table]) -> list[dict[str, Any]]:
    """The tables as JSON values: a rate is its k, n, rate and interval (null where n is 0)."""
    return [{"title": t.title, "columns": t.columns, "note": t.note,
             "definitions": {c: text for c, _, text in definitions(t.columns)},
             "rows": [[v.data() if isinstance(v, Rate) else v for v in row] for row in t.rows], **t.data}
            for t in found]


def charts_available() -> bool:
    """Whether the ``[charts]`` extra's library can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


# -- the page and the files -----------------------------------------------------------------------

_STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
          "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}th{background:#f3f3f3}"
          ".note{font-size:13px;color:#333}dl{font-size:12px;color:#444;margin-bottom:2em}dt{font-weight:bold}"
          "dd{margin:0 0 4px 1.5em}")


def html_page(found: list[Table], images: dict[str, bytes], *, charts_note: str = "") -> str:
    """One self-contained page: the tables with their notes and definitions, and the charts
    (embedded as data URIs), or ``charts_note`` where there are none."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>reviewvet audit</title>",
             f"<style>{_STYLE}</style></head><body><h1>reviewvet audit</h1>"]
    if charts_note:
        parts.append(f"<p class='note charts'>{html.escape(charts_note)}</p>")
    for name, data in images.items():
        encoded = base64.b64encode(data).decode()
        parts.append(f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{encoded}'></figure>")
    for t in found:
        parts += _html_table(t)
    parts.append("</body></html>")
    return "".join(parts)


def _html_table(t: Table) -> list[str]:
    parts = [f"<h2>{html.escape(t.title)}</h2>"]
    if t.note:
        parts.append(f"<p class='note'>{html.escape(t.note)}</p>")
    parts.append("<table><tr>" + "".join(f"<th>{html.escape(label(c))}</th>" for c in t.columns) + "</tr>")
    parts += ["<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in row) + "</tr>" for row in t.rows]
    parts.append("</table>")
    defined = definitions(t.columns)
    if defined:
        parts.append("<dl>" + "".join(f"<dt>{html.escape(name)}</dt><dd>{html.escape(text)}</dd>"
                                      for _, name, text in defined) + "</dl>")
    return parts


def write_outputs(store: Store, found: list[Table], folder: Path, by: list[str]) -> list[Path]:
    """CSV and Parquet of each report, PNG charts and the HTML page, into ``folder``. Files of these
    names already there are replaced, each written whole or not at all (``reviewvet.output``).
    Without the ``[charts]`` extra the page has the tables only, and says how to get charts.
    An OutputError is about the input ``output-folder``."""
    with about("output-folder"):
        output_folder(folder, option="output folder")
    written = []
    with tempfile.TemporaryDirectory(prefix="reviewvet-export-") as scratch:
        for name in by:
            for fmt in ("csv", "parquet"):
                target = folder / f"per-{name}.{fmt}"
                exported = Path(scratch) / target.name
                store.export(export_sql(name), exported, fmt)
                written.append(_write(target, exported.read_bytes()))
    drawn = charts_available()
    images = charts.pngs(store.query(REPORTS["agent"]), store.query(REPORTS["month"])) if drawn else {}
    for name, data in images.items():
        written.append(_write(folder / name, data))
    written.append(_write(folder / "audit.html", html_page(found, images, charts_note="" if drawn else CHARTS_NOTE)))
    return written


def _write(target: Path, data: str | bytes) -> Path:
    with about("output-folder"):
        write_output(target, data, option="report file")
    return target

