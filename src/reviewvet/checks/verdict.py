"""One verdict per finding: how certain the checks are, on what evidence, and why.

The grade of a finding is the strongest doubt among its checks: ``refuted`` when any
check is certain the reviewer erred, else ``doubtful`` when something does not match but
could be explained, else ``unverifiable`` when the code changed since the review (or
nothing could be checked), else ``confirmed``.
"""

from __future__ import annotations

from typing import Literal

from reviewvet.model.checks import GRADES, Grade, LineCheck, QuoteCheck, SymbolCheck, Verdict
from reviewvet.model.source import EvidenceLevel

_ORDER: tuple[Grade, ...] = ("refuted", "doubtful", "unverifiable", "confirmed")
_WEAKEST: tuple[EvidenceLevel, ...] = ("flattened", "substitute-head", "user-given-head", "reviewed-head")
assert set(_ORDER) == set(GRADES)


def finding_verdict(quotes: tuple[QuoteCheck, ...], lines: tuple[LineCheck, ...],
                    symbols: tuple[SymbolCheck, ...], head_evidence: EvidenceLevel, *,
                    flattened: bool = False) -> Verdict:
    graded: list[tuple[Grade, EvidenceLevel, str]] = []  # (grade, evidence, reason)
    for q in quotes:
        if q.grade:
            graded.append((q.grade, q.evidence or head_evidence, f"block {q.block + 1} (review line {q.block_line}): "
                           f"{q.status}" + (f" — {q.reason}" if q.reason else "")))
    for s in symbols:
        if s.grade:
            why = f"`{s.identifier}`: {s.status}" + (f" — {s.reason}" if s.reason else "")
            graded.append((s.grade, s.evidence or head_evidence, why if s.grade != "confirmed" else ""))
    for c in lines:
        if flattened and c.basis == "quote" and c.status == "wrong":
            continue  # compared with a guessed block: its place proves nothing about the claim
        line_grade = _line_grade(c, head_evidence)
        if line_grade:
            graded.append((line_grade, head_evidence, f"{c.reference.written}: {c.status}"
                           + (f" — {c.reason}" if c.reason and line_grade != "confirmed" else "")))
    if not graded:
        return Verdict("unverifiable", head_evidence, ("nothing the finding claims could be checked mechanically",))
    grade = next(g for g in _ORDER if any(x[0] == g for x in graded))
    chosen = [x for x in graded if x[0] == grade]
    evidence = next(e for e in _WEAKEST if any(x[1] == e for x in chosen))
    return Verdict(grade, evidence, tuple(dict.fromkeys(r for _, _, r in chosen if r)))


def _line_grade(check: LineCheck, head_evidence: EvidenceLevel) -> Grade | Literal[""]:
    if check.status in ("exact", "contained", "drifted", "stale", "at-base"):
        return "confirmed"
    if check.status in ("wrong", "file-missing"):
        return "doubtful" if head_evidence == "reviewed-head" else "unverifiable"
    return ""
