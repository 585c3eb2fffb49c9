"""The consolidator's decisions next to reviewvet's verdicts: a confusion table per review.

What a review's consolidator decided about each finding (the rows of the table):

    kept        every consolidated finding, and each agent's finding no Reconciliation item dropped
    dropped     a Reconciliation item rejects an agent's finding (dropped, false positive)
    downgraded  a Reconciliation item lowers its severity ("Claude I3 (…) → Suggestion S2")
    upgraded    a Reconciliation item raises it ("Suggestion → promoted to Important as I7")
    relabelled  a Reconciliation item turns a regression into a gap, or back
    fixed       the review's Resolution table marks a consolidated finding Fixed: it was real

Every finding is either kept or dropped; the rows below them count some of the same findings
again (a downgraded finding was kept, at a lower severity). The columns are reviewvet's verdict
grade and whether the rules declared the finding a false positive.

The Reconciliation items are read and linked to findings by ``audit.consolidator``; an item
whose linked finding is a consolidated one (the agent's raw review is not in the document) is
moved to the consolidated finding it names as its outcome ("→ Suggestion S2", "as I7") when
there is one. Pure functions over records: no git, no printing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewvet.audit.consolidator import ConsolidatorItem, reconciliation_items
from reviewvet.model.checks import GRADES
from reviewvet.ingest.blocks import detect_format, flat_blocks, markdown_blocks
from reviewvet.model.review import Finding, Review
from reviewvet.ingest.vocabulary import normalise_heading

if TYPE_CHECKING:
    from reviewvet.model.verification import Verification

ROWS = ("kept", "dropped", "downgraded", "upgraded", "relabelled", "fixed")
GRADE_COLUMNS = ("confirmed", "unverifiable", "doubtful", "refuted")
FALSE_POSITIVE = "declared false positive"
COLUMNS = (*GRADE_COLUMNS, FALSE_POSITIVE, "total")
ALL = "all findings"
assert set(GRADE_COLUMNS) == set(GRADES)

_SEVERITY_LETTER = {"critical": "C", "important": "I", "suggestion": "S"}
# The consolidated finding an item names as its outcome: "→ Suggestion S2", "downgraded to S6", "as I7".
_OUTCOME = re.compile(r"(?:→|->|\bto|\bas)\s+(?:(?:critical|important|suggestion)\s+)?(?P<id>[CIS]\d+)\b", re.I)
_RELABEL = re.compile(
    r"\b(?:re-?label\w*|mis-?label\w*)\b|\b(?:regression|gap)\s*(?:→|->|to)\s*(?:a\s+)?(?:gap|regression)\b|"
    r"\bnot\s+a\s+(?:new\s+)?regression\b|\bis\s+a\s+(?:pre-existing\s+)?gap\b", re.I)
_RESOLUTION_FINDING = re.compile(r"^\W*(?P<severity>critical|important|suggestion)s?\s*#\s*(?P<n>\d+)\b", re.I)
_RESOLUTION_HEADER = re.compile(r"\b(action|resolution|status|outcome)\b", re.I)


@dataclass(frozen=True)
class Mark:
    """One thing the consolidator decided about a finding, and the text it rests on."""

    decision: str  # one of ROWS
    source: str  # "Reconciliation: Claude I3 (…)", "Resolution: Important #1 … | Fixed"


@dataclass(frozen=True)
class ConsolidatorView:
    """The consolidator's marks per finding key, and what it decided about findings not in the review."""

    marks: dict[str, tuple[Mark, ...]]
    unlinked: tuple[str, ...]


@dataclass(frozen=True)
class FindingCalibration:
    """One finding: what the consolidator decided and what reviewvet found."""

    key: str
    origin: str
    title: str
    decisions: tuple[str, ...]  # "kept" or "dropped" first, then any of the other ROWS
    sources: tuple[str, ...]
    grade: str
    evidence: str
    false_positive: bool
    reasons: tuple[str, ...]

    @property
    def disagrees(self) -> bool:
        """Kept by the consolidator but declared a false positive, or dropped but not."""
        kept = self.decisions[0] == "kept"
        return self.false_positive if kept else not self.false_positive


@dataclass(frozen=True)
class ReviewCalibration:
    name: str
    findings: tuple[FindingCalibration, ...]
    unlinked: tuple[str, ...]


# -- the consolidator's decisions ---------------------------------------------------------------


def consolidator_view(review: Review, findings: Sequence[Finding], text: str = "") -> ConsolidatorView:
    """What the Reconciliation items and, given the document's ``text``, its Resolution table say
    about ``findings``."""
    marks: dict[str, list[Mark]] = {}
    unlinked: list[str] = []
    consolidated = {f.id: f.key for f in findings if f.origin == "consolidated"}
    for item in reconciliation_items(review, findings):
        key = _item_key(item, consolidated)
        source = f"Reconciliation: {item.text[:160]}"
        if key is None:
            unlinked.append(f"{item.written}: {item.decision}, not linked to a finding of this review")
            continue
        if item.decision != "kept":
            marks.setdefault(key, []).append(Mark(item.decision, source))
        if item.decision != "dropped" and _RELABEL.search(item.text):
            marks.setdefault(key, []).append(Mark("relabelled", source))
    for written, finding_id, action in resolution_actions(text) if text else ():
        if not action.lower().startswith("fixed"):
            continue
        if finding_id in consolidated:
            marks.setdefault(consolidated[finding_id], []).append(Mark("fixed", f"Resolution: {written} | {action}"))
        else:
            unlinked.append(f"{written}: {action}, no consolidated finding {finding_id}")
    return ConsolidatorView({k: tuple(v) for k, v in marks.items()}, tuple(unlinked))


def _item_key(item: ConsolidatorItem, consolidated: dict[str, str]) -> str | None:
    """The finding an item is about: the agent's own finding when the consolidator linked one, else the
    consolidated finding the item names as its outcome, else the consolidator's own link."""
    if item.linked_key is not None and not item.linked_key.startswith("consolidated/"):
        return item.linked_key
    outcome = _OUTCOME.search(item.text) if item.decision != "dropped" else None
    if outcome and outcome["id"].upper() in consolidated:
        return consolidated[outcome["id"].upper()]
    return item.linked_key


def resolution_actions(text: str) -> list[tuple[str, str, str]]:
    """The rows of the document's Resolution table: (finding as written, its consolidated id, action).

    Read from the text, through ingest's block reader: the Resolution closes the document after
    the appendix, so a parsed Review does not hold it."""
    blocks = markdown_blocks(text) if detect_format(text) == "markdown" else flat_blocks(text)
    out, inside = [], False
    for block in blocks:
        if block.kind == "heading":
            inside = normalise_heading(block.text) == "resolution"
        elif inside and block.kind == "table" and block.rows:
            out += _resolution_rows(block.rows)
    return out


def _resolution_rows(rows: tuple[tuple[str, ...], ...]) -> list[tuple[str, str, str]]:
    if not any(_RESOLUTION_HEADER.search(cell) for cell in rows[0]):
        return []
    out = []
    for row in rows[1:]:
        cell = next((c for c in row if _RESOLUTION_FINDING.match(c)), None)
        match = _RESOLUTION_FINDING.match(cell) if cell else None
        if cell is None or match is None or row[-1] == cell:
            continue
        finding_id = f"{_SEVERITY_LETTER[match['severity'].lower()]}{match['n']}"
        out.append((cell.strip(), finding_id, row[-1].strip("* ").strip()))
    return out


# -- next to reviewvet's verdicts ---------------------------------------------------------------


def calibrate(verification: Verification, name: str, text: str = "") -> ReviewCalibration:
    """Every verified finding with the consolidator's decisions and reviewvet's verdict; ``text`` is the
    review document, for its Resolution table."""
    review = verification.review
    view = consolidator_view(review, [fv.finding for fv in verification.verdicts], text)
    out = []
    for fv in verification.verdicts:
        f = fv.finding
        marks = view.marks.get(f.key, ())
        dropped = f.origin != "consolidated" and any(m.decision == "dropped" for m in marks)
        extra = [m.decision for m in marks if m.decision not in ("dropped", "kept")]
        decision = verification.decisions.get(f.key)
        verdict = fv.verdict
        out.append(FindingCalibration(
            f.key, f.origin, f.title, ("dropped" if dropped else "kept", *dict.fromkeys(extra)),
            tuple(m.source for m in marks), verdict.grade if verdict else "unverifiable",
            verdict.evidence if verdict else "", bool(decision and decision.false_positive),
            verdict.reasons if verdict else ()))
    return ReviewCalibration(name, tuple(out), view.unlinked)


def confusion(findings: Iterable[FindingCalibration]) -> dict[str, dict[str, int]]:
    """Rows (ROWS, then all findings) × COLUMNS: how many findings fall in each cell."""
    table = {row: dict.fromkeys(COLUMNS, 0) for row in (*ROWS, ALL)}
    for f in findings:
        for row in (*f.decisions, ALL):
            cells = table[row]
            cells[f.grade] += 1
            cells[FALSE_POSITIVE] += int(f.false_positive)
            cells["total"] += 1
    return table


def format_table(table: dict[str, dict[str, int]], title: str) -> str:
    """The table as aligned text, under its title."""
    head = ["consolidator \\ reviewvet", *COLUMNS]
    body = [[row, *(str(table[row][c]) for c in COLUMNS)] for row in table]
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                               strict=True)))

    rule = "-" * len(line(head))
    note = "(a finding counts as kept or dropped; the rows below those count some of them again)"
    return "\n".join([title, line(head), rule, *(line(r) for r in body[:-1]), rule, line(body[-1]), note]) + "\n"


def format_calibration(calibration: ReviewCalibration, title: str | None = None) -> str:
    """The review's table, then the findings the consolidator and reviewvet disagree about."""
    text = format_table(confusion(calibration.findings), title or calibration.name)
    for f in calibration.findings:
        if f.disagrees:
            said = "declared a false positive" if f.false_positive else "not declared a false positive"
            why = f"; {f.reasons[0]}" if f.reasons else ""
            text += f"  {'/'.join(f.decisions)} by the consolidator, {said}: {f.key} ({f.grade}{why})\n"
    for note in calibration.unlinked:
        text += f"  consolidator item without a finding here: {note}\n"
    return text


def calibration_dict(calibration: ReviewCalibration) -> dict[str, Any]:
    """A JSON-able form: the table, every finding and the unlinked consolidator items."""
    return {
        "review": calibration.name,
        "table": confusion(calibration.findings),
        "findings": [{"key": f.key, "origin": f.origin, "title": f.title, "consolidator": list(f.decisions),
                      "sources": list(f.sources), "grade": f.grade, "evidence": f.evidence,
                      "false_positive": f.false_positive, "reasons": list(f.reasons)} for f in calibration.findings],
        "unlinked": list(calibration.unlinked),
    }
